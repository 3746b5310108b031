namespace ContinualTrainer.Bootstrap;

/// <summary>
/// The general English text <c>continual-trainer init</c> pre-trains on when no <c>--corpus</c> is given: the Debian
/// Reference (plain text, gzip) and the classic fortune cookie files, both installed by
/// <see cref="InstallCommand"/>. <see cref="Installed"/> names the Debian paths; tests point elsewhere.
/// </summary>
/// <param name="ReferenceFile">The Debian Reference as gzip-compressed plain text.</param>
/// <param name="FortunesFolder">The folder of fortune files (entries separated by lines of <c>%</c>).</param>
public sealed record DebianCorpus(string ReferenceFile, string FortunesFolder)
{
    public const string InstallCommand = "sudo apt-get install debian-reference-en fortunes";

    /// <summary>Where the Debian packages install the files.</summary>
    public static readonly DebianCorpus Installed = new("/usr/share/debian-reference/debian-reference.en.txt.gz", "/usr/share/games/fortunes");

    /// <summary>
    /// The source files present: the reference, then every plain fortune file in ordinal name order (not the
    /// <c>.dat</c> indexes, not the <c>.u8</c> links, no symbolic links or folders).
    /// </summary>
    public IReadOnlyList<string> ExistingFiles()
    {
        var files = new List<string>();
        if (File.Exists(ReferenceFile)) files.Add(ReferenceFile);
        if (!Directory.Exists(FortunesFolder)) return files;
        files.AddRange(new DirectoryInfo(FortunesFolder).EnumerateFiles()
            .Where(f => f.LinkTarget is null && f.Extension is not (".dat" or ".u8") && !f.Name.StartsWith('.'))
            .Select(f => f.FullName)
            .Order(StringComparer.Ordinal));
        return files;
    }

    /// <summary>The one-line explanation when <see cref="ExistingFiles"/> is empty.</summary>
    public string MissingMessage() =>
        $"no general corpus: neither {ReferenceFile} nor fortune files in {FortunesFolder} exist; install them with '{InstallCommand}' or give --corpus FILE";
}
