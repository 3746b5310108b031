namespace ContinualTrainer.Configuration;

/// <summary>Section <c>Paths</c>: where the daemon keeps its state.</summary>
public sealed record PathsOptions
{
    /// <summary>
    /// The state folder: <c>--state</c>, else <c>Paths:State</c>, else <c>$STATE_DIRECTORY</c> (set by systemd's
    /// StateDirectory=), else <c>./var</c>. Always absolute.
    /// </summary>
    public required string State { get; init; }

    public string Database => Path.Combine(State, "state.db");
    public string Checkpoints => Path.Combine(State, "checkpoints");
    public string Inbox => Path.Combine(State, "inbox");
    public string LockFile => Path.Combine(State, "daemon.lock");

    /// <summary>The base model <c>continual-trainer init</c> pre-trains (a Hugging Face model folder); the default of <c>Model:Base</c>.</summary>
    public string BaseModel => Path.Combine(State, "models", "base");

    /// <summary>The general corpus <c>continual-trainer init</c> writes; the default of <c>Dataset:GeneralCorpus</c>.</summary>
    public string GeneralCorpus => Path.Combine(State, "corpus", "general.txt");

    public static PathsOptions Read(SettingsReader reader, string? stateOverride)
    {
        var configured = reader.GetString("Paths:State");
        var systemd = Environment.GetEnvironmentVariable("STATE_DIRECTORY");
        // systemd may pass several colon-separated directories; the first is ours.
        if (!string.IsNullOrEmpty(systemd)) systemd = systemd.Split(':')[0];
        var state = stateOverride ?? configured ?? (string.IsNullOrEmpty(systemd) ? "var" : systemd);
        if (state.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            throw SettingsReader.Invalid(stateOverride is null ? "Paths:State" : "--state", state, "a folder path");
        return new PathsOptions { State = Path.GetFullPath(state) };
    }
}
