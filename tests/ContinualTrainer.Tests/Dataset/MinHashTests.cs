using ContinualTrainer.Dataset.Diversity;

namespace ContinualTrainer.Tests.Dataset;

public sealed class MinHashTests
{
    private static string Words(int seed, int count, int offset = 0) =>
        string.Join(' ', Enumerable.Range(offset, count).Select(i => $"w{(seed * 7919 + i * 104729) % 100003}"));

    private static double TrueJaccard(string a, string b)
    {
        var x = MinHash.Shingles(a);
        var y = MinHash.Shingles(b);
        return (double)x.Intersect(y).Count() / x.Union(y).Count();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)]
    [InlineData(50)]
    [InlineData(80)]
    [InlineData(100)]
    public void The_estimate_is_close_to_the_true_jaccard_similarity(int shared)
    {
        // 100-word texts sharing a run of `shared` words.
        var a = Words(1, 100);
        var b = string.Join(' ', Words(1, 100).Split(' ').Take(shared).Concat(Words(2, 100 - shared).Split(' ')));
        var truth = TrueJaccard(a, b);
        var estimate = MinHash.Similarity(MinHash.Signature(a), MinHash.Signature(b));
        // 128 permutations: standard error at most 0.045; 0.15 is more than three of them.
        Assert.InRange(estimate, truth - 0.15, truth + 0.15);
    }

    [Fact]
    public void Words_ignore_case_and_punctuation()
    {
        Assert.Equal(["hello", "world", "x1", "façade"], MinHash.Words("Hello, WORLD! {\"x1\": façade}"));
        Assert.Equal(MinHash.Signature("Hello, world: how are you"), MinHash.Signature("hello world how are you!"));
    }

    [Fact]
    public void Signatures_survive_their_stored_bytes()
    {
        var signature = MinHash.Signature(Words(3, 40));
        Assert.Equal(signature, MinHash.FromBytes(MinHash.ToBytes(signature)));
        Assert.Throws<FormatException>(() => MinHash.FromBytes(new byte[12]));
    }

    [Fact]
    public void The_index_finds_near_identical_texts_and_not_different_ones()
    {
        var index = new NearDuplicateIndex(0.9);
        var original = Words(4, 200);
        index.Add(17, MinHash.Signature(original));

        var oneWordChanged = original.Replace(original.Split(' ')[100], "changed");
        Assert.True(TrueJaccard(original, oneWordChanged) > 0.95);
        Assert.Equal(17, index.FindNearDuplicate(MinHash.Signature(oneWordChanged)));

        var different = Words(5, 200);
        Assert.Null(index.FindNearDuplicate(MinHash.Signature(different)));
        var half = string.Join(' ', original.Split(' ').Take(100).Concat(different.Split(' ').Take(100)));
        Assert.Null(index.FindNearDuplicate(MinHash.Signature(half)));
    }

    [Theory]
    [InlineData(0.9, 8)]
    [InlineData(0.5, 2)]
    [InlineData(1.0, 128)]
    [InlineData(0.1, 1)]
    public void Band_shape_catches_pairs_at_the_threshold(double threshold, int rows)
    {
        var index = new NearDuplicateIndex(threshold);
        Assert.Equal(rows, index.Rows);
        Assert.Equal(MinHash.Permutations, index.Rows * index.Bands);
        Assert.True(1 - Math.Pow(1 - Math.Pow(threshold, index.Rows), index.Bands) >= 0.99);
    }

    [Fact]
    public void Seeded_keys_are_stable_and_depend_on_seed_purpose_and_id()
    {
        Assert.Equal(StableHash.Key(7, "replay", 3), StableHash.Key(7, "replay", 3));
        Assert.NotEqual(StableHash.Key(7, "replay", 3), StableHash.Key(8, "replay", 3));
        Assert.NotEqual(StableHash.Key(7, "replay", 3), StableHash.Key(7, "order", 3));
        Assert.NotEqual(StableHash.Key(7, "replay", 3), StableHash.Key(7, "replay", 4));
        // Fixed forever: stored snapshots were built with these values.
        Assert.Equal(StableHash.Mix(StableHash.Mix(7UL ^ StableHash.Of("replay")) ^ 3UL), StableHash.Key(7, "replay", 3));
    }
}
