using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class RopeTests
{
    [Theory]
    [InlineData(64, 10000.0, 0)]
    [InlineData(20, 1000000.0, 100)]   // head half not a multiple of the vector width, offset positions
    public void Matches_the_naive_reference(int hd, double theta, int start)
    {
        const int t = 9, heads = 3;
        var stride = heads * hd + 5;
        var x = TestData.Uniform(10, t * stride);
        float[] fast = new float[t * heads * hd], naive = new float[t * heads * hd];
        using var table = new RopeTable(hd, theta, 512);
        fixed (float* px = x, pf = fast, pn = naive)
        {
            Rope.Forward(pf, px, table, start, t, heads, hd, stride);
            Rope.ForwardNaive(pn, px, theta, start, t, heads, hd, stride);
        }
        TestData.AssertClose(naive, fast, 1e-5f, "y");
    }

    [Fact]
    public void Leaves_position_zero_unchanged_and_rotates_in_place()
    {
        const int hd = 8;
        var x = TestData.Uniform(11, 2 * hd);
        var y = (float[])x.Clone();
        var expected = new float[2 * hd];
        using var table = new RopeTable(hd, 10000.0, 16);
        fixed (float* py = y, px = x, pe = expected)
        {
            Rope.ForwardNaive(pe, px, 10000.0, 0, 2, 1, hd, hd);
            Rope.Forward(py, py, table, 0, 2, 1, hd, hd);
        }
        Assert.Equal(x.AsSpan(0, hd).ToArray(), y.AsSpan(0, hd).ToArray());
        TestData.AssertClose(expected, y, 1e-6f, "y");
    }

    [Fact]
    public void Rejects_positions_beyond_the_table()
    {
        using var table = new RopeTable(8, 10000.0, 16);
        var x = new float[4 * 8];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            fixed (float* px = x) Rope.Forward(px, px, table, 14, 4, 1, 8, 8);
        });
        Assert.Contains("[14, 18)", error.Message);
    }
}
