using System.Text.Json;
using ContinualTrainer.Cli;
using ContinualTrainer.Configuration;
using ContinualTrainer.Engine.Training;
using ContinualTrainer.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace ContinualTrainer.Tests.Training;

/// <summary>The EWC and functional-anchor options, and whole runs on tiny-llama with both switched on.</summary>
public sealed class ForgettingGuardRunTests
{
    [Theory]
    [InlineData("Training:EwcWeight", "-1")]
    [InlineData("Training:EwcDecay", "1.5")]
    [InlineData("Training:EwcBatches", "0")]
    [InlineData("Training:AnchorWeight", "-0.1")]
    [InlineData("Training:AnchorTopK", "0")]
    public void Out_of_range_forgetting_guard_settings_are_refused_naming_the_key(string key, string value)
    {
        using var dir = new TempDir();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new KeyValuePair<string, string?>(key, value)]).Build();
        var error = Assert.Throws<ConfigurationException>(() => DaemonOptionsLoader.Bind(configuration, null, dir.Path));
        Assert.StartsWith($"{key} = '{value}' is not valid", error.Message);
    }

    [Fact]
    public void Both_guards_are_off_by_default()
    {
        using var dir = new TempDir();
        var options = DaemonOptionsLoader.Bind(new ConfigurationBuilder().Build(), null, dir.Path).Training;
        Assert.Equal((0.0, 0.9, 16, 0.0, 16), (options.EwcWeight, options.EwcDecay, options.EwcBatches, options.AnchorWeight, options.AnchorTopK));
    }

    [SharedFact]
    public async Task Accepted_runs_with_ewc_keep_an_online_fisher_estimate_in_the_state_folder()
    {
        using var dir = new TempDir();
        var state = dir.File("var");
        var config = dir.Write("appsettings.json", $$"""
            {
              "Model": { "Base": "{{SharedFixtures.Path("fixtures", "models", "tiny-llama")}}" },
              "Paths": { "State": "{{state}}" },
              "Metrics": { "Listen": "127.0.0.1:0" },
              "Dataset": { "GeneralCorpus": "{{SharedFixtures.Path("corpora", "wikitext-2", "valid.txt")}}" },
              "Guard": { "MaxHoldoutTokens": 4096, "ProbesPerCategory": 10 },
              "Training": { "Seed": 7, "EwcWeight": 100, "EwcBatches": 1, "AnchorWeight": 1, "AnchorTopK": 8 }
            }
            """);
        async Task<JsonElement> Run(params string[] args)
        {
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            var code = await CliApp.RunAsync([.. args, "--config", config], stdout, stderr, CancellationToken.None);
            Assert.True(code == 0, stderr.ToString() + stdout);
            return args[0] == "train" ? JsonDocument.Parse(stdout.ToString().TrimEnd().Split('\n')[^1]).RootElement.Clone() : default;
        }
        async Task Ingest(string topic)
        {
            var file = dir.Write($"in/{topic}.jsonl", string.Join("\n", Enumerable.Range(0, 40).Select(i => JsonSerializer.Serialize(new
            {
                messages = new object[]
                {
                    new { role = "user", content = $"Tell me about {topic} number {i}." },
                    new { role = "assistant", content = $"The story of the {topic} is long . In the year {1800 + i} the people of the {topic} built a new wall ." },
                },
            }))) + "\n");
            await Run("ingest", file);
        }
        var fisherPath = Path.Combine(state, "ewc", "fisher.safetensors");

        await Ingest("castle");
        var first = await Run("train", "--now", "--json");
        Assert.Equal("accepted", first.GetProperty("result").GetString());
        var once = FisherInformation.Load(fisherPath);
        Assert.Equal(1, once.Windows);

        await Ingest("river");
        var second = await Run("train", "--now", "--json");
        Assert.Equal("accepted", second.GetProperty("result").GetString());
        var twice = FisherInformation.Load(fisherPath);
        Assert.Equal(2, twice.Windows);
        Assert.Equal(once.Names.Order(), twice.Names.Order());
    }
}
