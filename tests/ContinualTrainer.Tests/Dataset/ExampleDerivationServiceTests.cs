using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset;
using ContinualTrainer.Hosting;
using ContinualTrainer.Ingestion.Store;
using ContinualTrainer.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using static ContinualTrainer.Tests.Dataset.Transcripts;

namespace ContinualTrainer.Tests.Dataset;

public sealed class ExampleDerivationServiceTests
{
    [SharedFact]
    public async Task The_daemon_derives_on_start_and_after_each_ingestion_commit_and_reports_the_count()
    {
        using var workspace = await DatasetWorkspace.CreateAsync();
        await workspace.Rows.PutAsync("a", QuestionAndAnswer(1));
        await workspace.Rows.PutAsync("b", QuestionAndAnswer(2));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Model:Base"] = TestModels.TinyLlama,
            ["Dataset:MinDecisionTokens"] = "1",
        }).Build();
        var options = DaemonOptionsLoader.Bind(configuration, null, workspace.Folder);
        var registry = new MetricsRegistry();
        var board = new StatusBoard();
        var signal = new ConversationChangeSignal();
        using var service = new ExampleDerivationService(
            options, workspace.Database, new ExampleDeriver(workspace.Database, options.Dataset), new DatasetMetrics(registry), board,
            NullLogger<ExampleDerivationService>.Instance, signal);

        await service.StartAsync(CancellationToken.None);
        await WaitForAsync(() => board.Line.Contains("2 examples"), board);
        Assert.Contains("continual_trainer_examples_waiting 2\n", registry.Render());

        await workspace.Rows.PutAsync("c", QuestionAndAnswer(3));
        signal.Publish(3);
        await WaitForAsync(() => board.Line.Contains("3 examples"), board);
        Assert.Contains("continual_trainer_examples{category=\"transcript\"} 3\n", registry.Render());
        await service.StopAsync(CancellationToken.None);
    }

    // Waits for the background service, failing (not hanging) if it never gets there.
    private static async Task WaitForAsync(Func<bool> condition, StatusBoard board)
    {
        for (var i = 0; i < 600 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition(), $"status line is '{board.Line}'");
    }
}
