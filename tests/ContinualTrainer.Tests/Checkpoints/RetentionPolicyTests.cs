using ContinualTrainer.Checkpoints;

namespace ContinualTrainer.Tests.Checkpoints;

public sealed class RetentionPolicyTests
{
    private static RetentionCandidate Full(int version, double? perplexity = null, bool rejected = false, bool awaitingUpload = false) =>
        new(version, version == 0 ? null : version - 1, SelfContained: true, perplexity, rejected, awaitingUpload);

    private static int[] Kept(IReadOnlyList<RetentionDecision> decisions) => decisions.Where(d => d.Keep).Select(d => d.Version).ToArray();

    [Fact]
    public void Keeps_v0_current_the_last_N_every_Kth_and_the_best()
    {
        // v0..v25, perplexity falling to v7 then rising; current rolled back to v12.
        var versions = Enumerable.Range(0, 26).Select(v => Full(v, v == 0 ? null : 10 + Math.Abs(v - 7))).ToList();
        var decisions = new RetentionPolicy(KeepLast: 3, KeepEvery: 10).Decide(versions, current: 12);

        Assert.Equal([0, 7, 10, 12, 20, 23, 24, 25], Kept(decisions));
        var reasons = decisions.ToDictionary(d => d.Version, d => d.KeptBecause);
        Assert.Contains("the base model (v0)", reasons[0]);
        Assert.Contains("best general perplexity (10)", reasons[7]);
        Assert.Contains("every 10th version", reasons[20]);
        Assert.Contains("current", reasons[12]);
        Assert.Contains("one of the last 3", reasons[23]);
        Assert.Empty(reasons[11]);
    }

    [Fact]
    public void Never_prunes_a_version_the_storage_host_has_not_verified()
    {
        var versions = Enumerable.Range(0, 6).Select(v => Full(v, awaitingUpload: v == 2)).ToList();
        var decisions = new RetentionPolicy(KeepLast: 1, KeepEvery: 0).Decide(versions, current: 5);
        Assert.Equal([0, 2, 5], Kept(decisions));
        Assert.Equal(["not yet verified on the storage host"], decisions.Single(d => d.Version == 2).KeptBecause);
    }

    [Fact]
    public void A_rejected_version_is_never_the_best()
    {
        var versions = new[] { Full(0), Full(1, 12), Full(2, 3, rejected: true), Full(3, 15), Full(4, 14) };
        var decisions = new RetentionPolicy(KeepLast: 1, KeepEvery: 0).Decide(versions, current: 4);
        Assert.Equal([0, 1, 4], Kept(decisions));
    }

    [Fact]
    public void Keeps_the_parent_chain_of_a_kept_LoRA_adapter()
    {
        var versions = new[]
        {
            Full(0), Full(1), Full(2), new RetentionCandidate(3, 2, SelfContained: false, null, false, false),
            new RetentionCandidate(4, 3, SelfContained: false, null, false, false),
        };
        var decisions = new RetentionPolicy(KeepLast: 1, KeepEvery: 0).Decide(versions, current: 4);
        Assert.Equal([0, 2, 3, 4], Kept(decisions));
        Assert.Equal(["parent of kept LoRA adapter v3"], decisions.Single(d => d.Version == 2).KeptBecause);
    }

    [Fact]
    public void KeepEvery_zero_keeps_no_milestones()
    {
        var versions = Enumerable.Range(0, 21).Select(v => Full(v)).ToList();
        Assert.Equal([0, 20], Kept(new RetentionPolicy(KeepLast: 1, KeepEvery: 0).Decide(versions, current: 20)));
    }
}
