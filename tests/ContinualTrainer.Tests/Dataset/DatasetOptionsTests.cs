using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset.Rendering;
using ContinualTrainer.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace ContinualTrainer.Tests.Dataset;

public sealed class DatasetOptionsTests
{
    private static DatasetOptions Read(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var reader = new SettingsReader(configuration);
        var options = DatasetOptions.Read(reader);
        reader.RejectUnknownKeys();
        return options;
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = Read();
        Assert.Equal(new DatasetOptions(), options);
        Assert.Null(options.ChatFormat);
        Assert.Equal((8, 256, 2048), (options.MinDecisionTokens, options.MaxDecisionTokens, options.MaxContextTokens));
        Assert.Equal((0.25, 0.10, 0.1, 0.9), (options.ReplayFraction, options.RehearsalFraction, options.ValidationFraction, options.NearDuplicateThreshold));
        Assert.Null(options.GeneralCorpus);
    }

    [Fact]
    public void Values_are_read_and_paths_made_absolute()
    {
        using var dir = new TempDir();
        var options = Read(("Dataset:ChatFormat", "Llama3"), ("Dataset:GeneralCorpus", dir.Path), ("Dataset:ReplayFraction", "0.3"),
            ("Dataset:MaxPerSession", "5"), ("Dataset:IncludeThinking", "true"));
        Assert.Equal(ChatFormat.Llama3, options.ChatFormat);
        Assert.Equal(dir.Path, options.GeneralCorpus);
        Assert.Equal((0.3, 5, true), (options.ReplayFraction, options.MaxPerSession, options.IncludeThinking));
    }

    [Theory]
    [InlineData("Dataset:ChatFormat", "jinja", "Dataset:ChatFormat = 'jinja' is not valid: expected one of auto, chatml, llama3, plain")]
    [InlineData("Dataset:ReplayFraction", "0.95", "Dataset:ReplayFraction = '0.95' is not valid: expected a number from 0 to 0.9")]
    [InlineData("Dataset:NearDuplicateThreshold", "0", "Dataset:NearDuplicateThreshold = '0' is not valid: expected a number from 0.1 to 1")]
    [InlineData("Dataset:MaxDecisionTokens", "4", "Dataset:MaxDecisionTokens = '4' is not valid: expected at least Dataset:MinDecisionTokens (8)")]
    [InlineData("Dataset:GeneralCorpus", "/nonexistent/corpus", "Dataset:GeneralCorpus = '/nonexistent/corpus' is not valid: expected an existing text or JSONL file, or a folder of them")]
    [InlineData("Dataset:MaxPerSourceFile", "0", "Dataset:MaxPerSourceFile = '0' is not valid")]
    public void Bad_values_name_the_key_the_value_and_what_is_allowed(string key, string value, string expected)
    {
        var error = Assert.Throws<ConfigurationException>(() => Read((key, value)));
        Assert.StartsWith(expected, error.Message);
    }

    [Fact]
    public void Replay_and_rehearsal_together_stay_at_or_below_ninety_percent()
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(("Dataset:ReplayFraction", "0.8"), ("Dataset:RehearsalFraction", "0.2")));
        Assert.Equal("Dataset:RehearsalFraction = '0.2' is not valid: expected at most 0.1 so that replay and rehearsal together stay at or below 0.9", error.Message);
        Assert.Equal(0.1, Read(("Dataset:ReplayFraction", "0.8"), ("Dataset:RehearsalFraction", "0.1")).RehearsalFraction);
    }

    [Fact]
    public void Misspelt_keys_are_refused()
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(("Dataset:ReplayFracton", "0.2")));
        Assert.StartsWith("unknown configuration key 'Dataset:ReplayFracton' (known keys in Dataset: ", error.Message);
    }
}
