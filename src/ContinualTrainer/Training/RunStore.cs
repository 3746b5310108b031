using System.Globalization;
using Microsoft.Data.Sqlite;
using ContinualTrainer.State;

namespace ContinualTrainer.Training;

/// <summary>
/// The training runs' bookkeeping in the state database: runs and their phases, run requests
/// (<c>train --now</c>, <c>POST /api/train</c>), and the adaptation carried from a rejected run to the next.
/// Every method is one transaction.
/// </summary>
public sealed class RunStore(StateDatabase database)
{
    public StateDatabase Database => database;

    private static readonly System.Text.Json.JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Records a new run in phase <see cref="RunPhase.Snapshot"/> and returns its id.</summary>
    public Task<long> StartAsync(RunTrigger trigger, string requestedBy, string settingsJson, RunAdaptation adaptation, CancellationToken cancellationToken) =>
        database.InTransactionAsync(async (connection, transaction, ct) =>
        {
            var now = Now();
            var id = (long)(await Scalar(connection, transaction, ct, """
                INSERT INTO training_runs(trigger, requested_by, result, phase, started_utc, settings, adaptation)
                VALUES ($trigger, $by, 'running', $phase, $now, $settings, $adaptation) RETURNING id
                """, ("$trigger", trigger.Name()), ("$by", requestedBy), ("$phase", RunPhase.Snapshot), ("$now", now),
                ("$settings", settingsJson), ("$adaptation", System.Text.Json.JsonSerializer.Serialize(adaptation, SnakeCase))))!;
            await Execute(connection, transaction, ct, "INSERT INTO training_run_phases(run_id, phase, started_utc) VALUES ($id, $phase, $now)",
                ("$id", id), ("$phase", RunPhase.Snapshot), ("$now", now));
            return id;
        }, cancellationToken);

    /// <summary>Closes the current phase (with its duration) and opens <paramref name="phase"/>.</summary>
    public Task EnterPhaseAsync(long runId, string phase, string detail, CancellationToken cancellationToken) =>
        database.InTransactionAsync(async (connection, transaction, ct) =>
        {
            await ClosePhase(connection, transaction, runId, ct);
            await Execute(connection, transaction, ct, "UPDATE training_runs SET phase = $phase WHERE id = $id", ("$id", runId), ("$phase", phase));
            await Execute(connection, transaction, ct, """
                INSERT INTO training_run_phases(run_id, phase, started_utc, detail) VALUES ($id, $phase, $now, $detail)
                ON CONFLICT(run_id, phase) DO UPDATE SET started_utc = excluded.started_utc, finished_utc = NULL, seconds = NULL, detail = excluded.detail
                """, ("$id", runId), ("$phase", phase), ("$now", Now()), ("$detail", detail));
            return 0;
        }, cancellationToken);

    /// <summary>Sets named columns of the run (snapshot_id, version_before, eval_before, ...).</summary>
    public Task UpdateAsync(long runId, CancellationToken cancellationToken, params (string Column, object? Value)[] values) =>
        database.InTransactionAsync(async (connection, transaction, ct) =>
        {
            foreach (var (column, _) in values)
            {
                if (!UpdatableColumns.Contains(column)) throw new ArgumentException($"column '{column}' of training_runs is not updatable", nameof(values));
            }
            var assignments = string.Join(", ", values.Select((v, i) => $"{v.Column} = $v{i}"));
            var parameters = values.Select((v, i) => ($"$v{i}", v.Value)).Append(("$id", runId)).ToArray();
            await Execute(connection, transaction, ct, $"UPDATE training_runs SET {assignments} WHERE id = $id", parameters!);
            return 0;
        }, cancellationToken);

    /// <summary>Ends the run: its result, the final phase closed, the wall time.</summary>
    public Task FinishAsync(long runId, RunResult result, string detail, CancellationToken cancellationToken) =>
        database.InTransactionAsync(async (connection, transaction, ct) =>
        {
            await ClosePhase(connection, transaction, runId, ct);
            var now = DateTimeOffset.UtcNow;
            await Execute(connection, transaction, ct, """
                UPDATE training_runs SET result = $result, phase = $done, finished_utc = $now, detail = $detail,
                    seconds = (julianday($now) - julianday(started_utc)) * 86400.0
                WHERE id = $id
                """, ("$id", runId), ("$result", result.Name()), ("$done", RunPhase.Done), ("$now", now.ToString("O")), ("$detail", detail));
            return 0;
        }, cancellationToken);

    /// <summary>Runs a crash left marked running (no daemon finished them) become interrupted. Returns how many.</summary>
    public Task<int> InterruptAbandonedAsync(string why, CancellationToken cancellationToken) =>
        database.InTransactionAsync(async (connection, transaction, ct) =>
        {
            var ids = new List<long>();
            await using (var command = Command(connection, transaction, "SELECT id FROM training_runs WHERE result = 'running'"))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) ids.Add(reader.GetInt64(0));
            }
            foreach (var id in ids)
            {
                await ClosePhase(connection, transaction, id, ct);
                await Execute(connection, transaction, ct,
                    "UPDATE training_runs SET result = 'interrupted', phase = $done, finished_utc = $now, detail = $why WHERE id = $id",
                    ("$id", id), ("$done", RunPhase.Done), ("$now", Now()), ("$why", why));
            }
            return ids.Count;
        }, cancellationToken);

    public async Task<IReadOnlyList<TrainingRunRecord>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, $"SELECT {Columns} FROM training_runs ORDER BY id DESC LIMIT $limit");
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadRuns(command, cancellationToken);
    }

    public async Task<TrainingRunRecord?> GetAsync(long runId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, $"SELECT {Columns} FROM training_runs WHERE id = $id");
        command.Parameters.AddWithValue("$id", runId);
        return (await ReadRuns(command, cancellationToken)).FirstOrDefault();
    }

    /// <summary>The newest run with this result, if any.</summary>
    public async Task<TrainingRunRecord?> LastAsync(RunResult result, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, $"SELECT {Columns} FROM training_runs WHERE result = $result ORDER BY id DESC LIMIT 1");
        command.Parameters.AddWithValue("$result", result.Name());
        return (await ReadRuns(command, cancellationToken)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<RunPhaseRecord>> PhasesAsync(long runId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT phase, started_utc, finished_utc, seconds, detail FROM training_run_phases WHERE run_id = $id ORDER BY started_utc, phase");
        command.Parameters.AddWithValue("$id", runId);
        var phases = new List<RunPhaseRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            phases.Add(new RunPhaseRecord(reader.GetString(0), Parse(reader.GetString(1)), reader.IsDBNull(2) ? null : Parse(reader.GetString(2)),
                reader.IsDBNull(3) ? null : reader.GetDouble(3), reader.GetString(4)));
        }
        return phases;
    }

    /// <summary>Asks for a run now (the daemon claims it within seconds); returns the request id.</summary>
    public Task<long> RequestAsync(string requestedBy, CancellationToken cancellationToken) =>
        database.InTransactionAsync(async (connection, transaction, ct) =>
            (long)(await Scalar(connection, transaction, ct,
                "INSERT INTO training_requests(requested_utc, requested_by) VALUES ($now, $by) RETURNING id", ("$now", Now()), ("$by", requestedBy)))!,
            cancellationToken);

    /// <summary>The oldest unclaimed request (id and who asked), or null.</summary>
    public async Task<(long Id, string RequestedBy)?> PendingRequestAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT id, requested_by FROM training_requests WHERE claimed_run_id IS NULL ORDER BY id LIMIT 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }

    /// <summary>Marks every pending request as served by <paramref name="runId"/> (several asks for "now" are one run).</summary>
    public Task<int> ClaimRequestsAsync(long runId, CancellationToken cancellationToken) =>
        database.InTransactionAsync(async (connection, transaction, ct) =>
            await Execute(connection, transaction, ct,
                "UPDATE training_requests SET claimed_run_id = $run, claimed_utc = $now WHERE claimed_run_id IS NULL", ("$run", runId), ("$now", Now())),
            cancellationToken);

    /// <summary>The run that served request <paramref name="requestId"/>, once claimed.</summary>
    public async Task<long?> RunForRequestAsync(long requestId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT claimed_run_id FROM training_requests WHERE id = $id");
        command.Parameters.AddWithValue("$id", requestId);
        return await command.ExecuteScalarAsync(cancellationToken) is long run ? run : null;
    }

    public async Task<RunAdaptation> ReadAdaptationAsync(double configuredReplayFraction, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT rejections, learning_rate_factor, replay_fraction FROM training_adaptation WHERE id = 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new RunAdaptation(reader.GetInt32(0), reader.GetDouble(1), reader.GetDouble(2))
            : RunAdaptation.Initial(configuredReplayFraction);
    }

    public Task SaveAdaptationAsync(RunAdaptation adaptation, CancellationToken cancellationToken) =>
        database.InTransactionAsync(async (connection, transaction, ct) =>
            await Execute(connection, transaction, ct, """
                INSERT INTO training_adaptation(id, rejections, learning_rate_factor, replay_fraction, updated_utc) VALUES (1, $r, $lr, $replay, $now)
                ON CONFLICT(id) DO UPDATE SET rejections = excluded.rejections, learning_rate_factor = excluded.learning_rate_factor,
                    replay_fraction = excluded.replay_fraction, updated_utc = excluded.updated_utc
                """, ("$r", adaptation.Rejections), ("$lr", adaptation.LearningRateFactor), ("$replay", adaptation.ReplayFraction), ("$now", Now())),
            cancellationToken);

    private static readonly HashSet<string> UpdatableColumns =
    [
        "snapshot_id", "version_before", "version_after", "eval_before", "eval_after", "verdict",
        "step", "total_steps", "train_tokens", "last_loss", "tokens_per_s", "settings", "adaptation", "detail",
    ];

    private const string Columns = """
        id, trigger, requested_by, result, phase, started_utc, finished_utc, seconds, snapshot_id, version_before, version_after,
        settings, adaptation, eval_before, eval_after, verdict, step, total_steps, train_tokens, last_loss, tokens_per_s, detail
        """;

    private static async Task<IReadOnlyList<TrainingRunRecord>> ReadRuns(SqliteCommand command, CancellationToken cancellationToken)
    {
        var runs = new List<TrainingRunRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new TrainingRunRecord
            {
                Id = reader.GetInt64(0),
                Trigger = RunNames.ParseTrigger(reader.GetString(1)),
                RequestedBy = reader.GetString(2),
                Result = RunNames.ParseResult(reader.GetString(3)),
                Phase = reader.GetString(4),
                StartedUtc = Parse(reader.GetString(5)),
                FinishedUtc = reader.IsDBNull(6) ? null : Parse(reader.GetString(6)),
                Seconds = reader.IsDBNull(7) ? null : reader.GetDouble(7),
                SnapshotId = reader.IsDBNull(8) ? null : reader.GetInt64(8),
                VersionBefore = reader.IsDBNull(9) ? null : reader.GetInt32(9),
                VersionAfter = reader.IsDBNull(10) ? null : reader.GetInt32(10),
                Settings = reader.GetString(11),
                Adaptation = reader.GetString(12),
                EvaluationBefore = reader.IsDBNull(13) ? null : reader.GetString(13),
                EvaluationAfter = reader.IsDBNull(14) ? null : reader.GetString(14),
                Verdict = reader.IsDBNull(15) ? null : reader.GetString(15),
                Step = reader.GetInt64(16),
                TotalSteps = reader.GetInt64(17),
                TrainTokens = reader.GetInt64(18),
                LastLoss = reader.IsDBNull(19) ? null : reader.GetDouble(19),
                TokensPerSecond = reader.IsDBNull(20) ? null : reader.GetDouble(20),
                Detail = reader.GetString(21),
            });
        }
        return runs;
    }

    private static async Task ClosePhase(SqliteConnection connection, SqliteTransaction transaction, long runId, CancellationToken ct) =>
        await Execute(connection, transaction, ct, """
            UPDATE training_run_phases SET finished_utc = $now, seconds = (julianday($now) - julianday(started_utc)) * 86400.0
            WHERE run_id = $id AND finished_utc IS NULL
            """, ("$id", runId), ("$now", Now()));

    private static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static async Task<int> Execute(SqliteConnection connection, SqliteTransaction transaction, CancellationToken ct, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> Scalar(SqliteConnection connection, SqliteTransaction transaction, CancellationToken ct, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return await command.ExecuteScalarAsync(ct);
    }
}
