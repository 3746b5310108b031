namespace ContinualTrainer.Hosting;

/// <summary>
/// The daemon's one human status line (e.g. <c>idle; 1,234 examples; model v7; next run 03:00</c>), kept
/// current by the components that know each part; sent to systemd as <c>STATUS=</c> and stored for
/// <c>continual-trainer status</c>.
/// </summary>
public sealed class StatusBoard
{
    private readonly Lock gate = new();
    private string phase = "starting";
    private string? waiting;
    private readonly SortedDictionary<string, string> facts = new(StringComparer.Ordinal);

    /// <summary>Raised after the line changed, with the new line.</summary>
    public event Action<string>? Changed;

    /// <summary>What the daemon is doing: starting, idle, ingesting, training, stopping.</summary>
    public void SetPhase(string value) => Update(() => phase = value);

    /// <summary>What the daemon waits for before it can train (null: nothing).</summary>
    public void SetWaiting(string? value) => Update(() => waiting = value);

    /// <summary>A named part of the line, e.g. ("examples", "1,234 examples"); null removes it.</summary>
    public void SetFact(string name, string? text) => Update(() =>
    {
        if (text is null) facts.Remove(name);
        else facts[name] = text;
    });

    public string Phase
    {
        get { lock (gate) return phase; }
    }

    public string? Waiting
    {
        get { lock (gate) return waiting; }
    }

    public string Line
    {
        get { lock (gate) return Compose(); }
    }

    private void Update(Action change)
    {
        string before, after;
        lock (gate)
        {
            before = Compose();
            change();
            after = Compose();
        }
        if (before != after) Changed?.Invoke(after);
    }

    private string Compose()
    {
        var parts = new List<string>(facts.Count + 2) { phase };
        parts.AddRange(facts.Values);
        if (waiting is not null) parts.Add("waiting: " + waiting);
        return string.Join("; ", parts);
    }
}
