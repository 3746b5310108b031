namespace ContinualTrainer.Checkpoints;

/// <summary>
/// What a directory walk found: the files (relative '/'-separated paths, never through a symbolic link) and the
/// entries that cannot be part of a version (symbolic links, refused names, too deep or too many entries).
/// </summary>
public sealed record TreeListing(IReadOnlyList<string> Files, IReadOnlyList<FileProblem> Refused);
