using System.Buffers.Binary;
using System.Text;
using ContinualTrainer.Engine.IO;

namespace ContinualTrainer.Engine.Tests.IO;

/// <summary>Builds safetensors files byte by byte, including malformed ones, and checks refusals.</summary>
public static class CraftedSafeTensors
{
    private static int counter;

    /// <summary>Writes 8-byte length (the header's own unless <paramref name="declaredHeaderLength"/>), header, data.</summary>
    public static string Write(TempDirectory dir, byte[] header, byte[] data, ulong? declaredHeaderLength = null)
    {
        var path = dir.File($"crafted-{Interlocked.Increment(ref counter)}.safetensors");
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static string Write(TempDirectory dir, string header, int dataBytes) =>
        Write(dir, Encoding.UTF8.GetBytes(header), new byte[dataBytes]);

    public static string WriteRaw(TempDirectory dir, byte[] bytes)
    {
        var path = dir.File($"crafted-{Interlocked.Increment(ref counter)}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>
    /// Opening must fail with a one-line <see cref="SafeTensorsFormatException"/> naming the file, the tensor
    /// when given, and containing <paramref name="fragment"/>.
    /// </summary>
    public static SafeTensorsFormatException AssertRefused(string path, string fragment, string? tensor = null)
    {
        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.Contains(path, ex.Message);
        Assert.Contains(fragment, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        if (tensor is not null)
        {
            Assert.Contains($"'{tensor}'", ex.Message);
            Assert.Equal(tensor, ex.TensorName);
        }
        return ex;
    }
}
