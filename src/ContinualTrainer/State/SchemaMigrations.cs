namespace ContinualTrainer.State;

/// <summary>
/// The state database's schema history. Append new steps at the end; never edit a released step —
/// databases in the field have already applied it.
/// </summary>
public static class SchemaMigrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "daemon bookkeeping", """
            CREATE TABLE meta (
                key   TEXT PRIMARY KEY NOT NULL,
                value TEXT NOT NULL
            ) STRICT;
            CREATE TABLE daemon_events (
                id         INTEGER PRIMARY KEY,
                at_utc     TEXT NOT NULL,
                kind       TEXT NOT NULL,
                detail     TEXT NOT NULL DEFAULT ''
            ) STRICT;
            """),
    ];

    public static int LatestVersion => All[^1].Version;
}
