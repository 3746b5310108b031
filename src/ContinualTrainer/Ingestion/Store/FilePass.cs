using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// The working state of one <see cref="FileIngestor.IngestAsync"/> call: the open file as it was when the call began,
/// the stored row the next commit expects to replace, where reading resumes, and what was done so far.
/// </summary>
internal sealed class FilePass(IngestTarget target, FileStream stream, FileStat stat) : IDisposable
{
    public IngestTarget Target { get; } = target;

    public FileStream Stream { get; } = stream;

    /// <summary>The file as opened: everything is read and recorded against this size.</summary>
    public FileStat Stat { get; } = stat;

    /// <summary>The stored row as last read or committed (null: none yet); a commit fails when it changed meanwhile.</summary>
    public SourceFileRecord? Row { get; set; }

    /// <summary>The next commit reads the file again from byte 0 (truncated, replaced, or changed after quarantine).</summary>
    public bool Restart { get; set; }

    public string? MovedFrom { get; set; }

    /// <summary>The category conversations are stored under, once known.</summary>
    public ConversationCategory? Category { get; set; }

    /// <summary>The format the file is read as, once known.</summary>
    public ConversationFormat? Format { get; set; }

    /// <summary><see cref="Category"/>, which must be decided by now.</summary>
    public ConversationCategory StoreCategory => Category ?? throw new InvalidOperationException($"{Target.Path}: category not decided");

    /// <summary><see cref="Format"/>, which must be decided by now.</summary>
    public ConversationFormat StoreFormat => Format ?? throw new InvalidOperationException($"{Target.Path}: format not decided");

    /// <summary>Whether the parser may treat the file as finished (see <see cref="FileCompleteness"/>).</summary>
    public bool Complete { get; set; }

    /// <summary>The hash of bytes [0, <see cref="Offset"/>), owned by the pass until it goes back to the cache.</summary>
    public PrefixHash? Prefix { get; set; }

    public long Offset { get; set; }

    public long NextLine { get; set; } = 1;

    public int New { get; set; }

    public int Updated { get; set; }

    public int Unchanged { get; set; }

    public int Skipped { get; set; }

    public List<SkippedLine> FirstSkipped { get; } = [];

    public long BytesRead { get; set; }

    /// <summary>For a file seen for the first time: the source name it will be recorded with.</summary>
    public string? NewSourceName { get; set; }

    /// <summary>The name conversation keys use: the row's, or the new one for a file seen for the first time.</summary>
    public string SourceName => Row?.SourceName ?? NewSourceName ?? Target.Path;

    public void Dispose() => Prefix?.Dispose();
}
