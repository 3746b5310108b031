namespace ContinualTrainer.Ingestion.Store;

/// <summary>What one commit did to the conversations table.</summary>
internal sealed class StoreCounts
{
    public int New { get; set; }

    public int Updated { get; set; }

    public int Unchanged { get; set; }

    /// <summary>The largest seq the commit assigned (0: none).</summary>
    public long HighestSeq { get; set; }
}
