namespace ContinualTrainer.Testing;

/// <summary>
/// Locates <c>../shared/</c> next to the repository root (the folder holding Daemon.sln), where the
/// PyTorch parity fixtures, tiny models, tokenizer cases and corpora live. Tests that need it use
/// <see cref="SharedFactAttribute"/> / <see cref="SharedTheoryAttribute"/> and are skipped, with the
/// reason, when the folder is absent, never passed silently.
/// </summary>
public static class SharedFixtures
{
    public const string MissingReason =
        "../shared/ (fixtures next to the repository root) is absent: parity fixtures cannot be read";

    private static readonly Lazy<string?> root = new(Find);

    /// <summary>Absolute path of the shared folder, or null when it cannot be found.</summary>
    public static string? Root => root.Value;

    /// <summary>The repository root (the folder holding Daemon.sln).</summary>
    public static string RepoRoot => FindRepoRoot() ?? throw new InvalidOperationException("Daemon.sln not found above " + AppContext.BaseDirectory);

    /// <summary>Path inside the shared folder; throws when the folder is absent.</summary>
    public static string Path(params string[] parts)
    {
        var r = Root ?? throw new InvalidOperationException(MissingReason);
        return System.IO.Path.Combine([r, .. parts]);
    }

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("CONTINUAL_TRAINER_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return System.IO.Path.GetFullPath(env);
        var repo = FindRepoRoot();
        if (repo is null) return null;
        var shared = System.IO.Path.GetFullPath(System.IO.Path.Combine(repo, "..", "shared"));
        return Directory.Exists(System.IO.Path.Combine(shared, "fixtures")) ? shared : null;
    }

    private static string? FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Daemon.sln"))) return dir.FullName;
        }
        // Built with --artifacts-path outside the tree: the test project records where the repository was.
        var recorded = typeof(SharedFixtures).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
        return recorded is not null && File.Exists(System.IO.Path.Combine(recorded, "Daemon.sln")) ? recorded : null;
    }
}

/// <summary>A fact that needs ../shared/; skipped with the reason when it is absent.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute()
    {
        if (SharedFixtures.Root is null) Skip = SharedFixtures.MissingReason;
    }
}

/// <summary>A theory that needs ../shared/; skipped with the reason when it is absent.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute()
    {
        if (SharedFixtures.Root is null) Skip = SharedFixtures.MissingReason;
    }
}
