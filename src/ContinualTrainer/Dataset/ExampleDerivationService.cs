using ContinualTrainer.Configuration;
using ContinualTrainer.Hosting;
using ContinualTrainer.Ingestion.Store;
using ContinualTrainer.State;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Dataset;

/// <summary>
/// In the daemon: derives examples for <c>Model:Base</c> whenever ingestion commits conversations (and every
/// <see cref="PollInterval"/>, for commits made by other processes), then refreshes the dataset metrics and the
/// status line's example count. Does nothing while no model is configured.
/// </summary>
public sealed partial class ExampleDerivationService(
    DaemonOptions options,
    StateDatabase database,
    ExampleDeriver deriver,
    DatasetMetrics metrics,
    StatusBoard board,
    ILogger<ExampleDerivationService> logger,
    IConversationsChanged? changes = null) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Model.Base is not { } model) return;
        long watermark = 0;
        string? statsKey = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var profile = deriver.Profile(model);
                var report = await deriver.DeriveAsync(profile, stoppingToken).ConfigureAwait(false);
                watermark = report.Watermark;
                if (report.Conversations > 0)
                    LogDerived(logger, report.Conversations, report.ExamplesAdded, report.ExamplesRemoved, report.Duplicates, report.TooShort, report.Watermark);
                var key = await StatsKeyAsync(profile, stoppingToken).ConfigureAwait(false);
                if (key != statsKey)
                {
                    var stats = await DatasetStatistics.ReadAsync(database, profile, stoppingToken).ConfigureAwait(false);
                    metrics.Update(stats);
                    board.SetFact("examples", DatasetMetrics.StatusFact(stats));
                    statsKey = key;
                }
            }
            catch (Exception e) when (e is DatasetException or StateDatabaseException or Microsoft.Data.Sqlite.SqliteException)
            {
                LogFailed(logger, e.Message);
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            wait.CancelAfter(PollInterval);
            try
            {
                if (changes is null) await Task.Delay(Timeout.Infinite, wait.Token).ConfigureAwait(false);
                else await changes.WaitAsync(watermark, wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    // Changes whenever the figures can have changed: new derivations, new or accepted snapshots.
    private async Task<string> StatsKeyAsync(TokenizerProfile profile, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT f.watermark_seq || '/' || (SELECT count(*) FROM dataset_snapshots) || '/' || (SELECT count(accepted_utc) FROM dataset_snapshots)
            FROM dataset_fingerprints f WHERE f.fingerprint = $fingerprint
            """;
        command.Parameters.AddWithValue("$fingerprint", profile.Fingerprint);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string ?? "";
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "examples derived from {Conversations} conversation(s): {Added} added, {Removed} removed, {Duplicates} duplicate(s), {TooShort} too short (seq {Watermark})")]
    private static partial void LogDerived(ILogger logger, int conversations, int added, int removed, int duplicates, int tooShort, long watermark);

    [LoggerMessage(Level = LogLevel.Error, Message = "cannot derive examples: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
