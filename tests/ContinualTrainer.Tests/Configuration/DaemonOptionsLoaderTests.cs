using ContinualTrainer.Configuration;
using ContinualTrainer.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace ContinualTrainer.Tests.Configuration;

public sealed class DaemonOptionsLoaderTests
{
    private static DaemonOptions Bind(string? state, params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        return DaemonOptionsLoader.Bind(configuration, null, state);
    }

    [Fact]
    public void Embedded_defaults_put_everything_under_the_state_folder()
    {
        using var dir = new TempDir();
        var options = Bind(dir.Path);
        Assert.Equal(dir.Path, options.Paths.State);
        Assert.Equal(Path.Combine(dir.Path, "state.db"), options.Paths.Database);
        Assert.Equal([Path.Combine(dir.Path, "inbox", "agent-logs")], options.Ingestion.AgentLogs);
        Assert.Equal([Path.Combine(dir.Path, "inbox", "transcripts")], options.Ingestion.Transcripts);
        Assert.Equal("127.0.0.1:9464", options.Metrics.Listen.ToString());
        Assert.Null(options.Model.Base);
    }

    [Fact]
    public void State_option_wins_over_Paths_State()
    {
        using var dir = new TempDir();
        var options = Bind(dir.File("cli"), ("Paths:State", dir.File("configured")));
        Assert.Equal(dir.File("cli"), options.Paths.State);
        Assert.Equal(dir.File("configured"), Bind(null, ("Paths:State", dir.File("configured"))).Paths.State);
    }

    [Theory]
    [InlineData("Metrics:Listen", "nine-four-six-four", "Metrics:Listen = 'nine-four-six-four' is not valid: expected an address and port such as 127.0.0.1:9464 or [::1]:9464")]
    [InlineData("Metrics:Listen", "127.0.0.1:70000", "Metrics:Listen = '127.0.0.1:70000' is not valid")]
    [InlineData("Model:Base", "/nonexistent/model", "Model:Base = '/nonexistent/model' is not valid: expected an existing Hugging Face model directory")]
    public void Bad_values_name_the_key_the_value_and_what_is_allowed(string key, string value, string expected)
    {
        using var dir = new TempDir();
        var error = Assert.Throws<ConfigurationException>(() => Bind(dir.Path, (key, value)));
        Assert.StartsWith(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Unknown_keys_are_refused_with_the_known_ones()
    {
        using var dir = new TempDir();
        var error = Assert.Throws<ConfigurationException>(() => Bind(dir.Path, ("Metrics:Lisen", "127.0.0.1:1")));
        Assert.Equal("unknown configuration key 'Metrics:Lisen' (known keys in Metrics: Metrics:AdminTokenFile, Metrics:Listen)", error.Message);
        var section = Assert.Throws<ConfigurationException>(() => Bind(dir.Path, ("Trainer:Rate", "1")));
        Assert.StartsWith("unknown configuration key 'Trainer:Rate' (known sections: ", section.Message);
    }

    [Fact]
    public void Lists_accept_arrays_and_single_strings()
    {
        using var dir = new TempDir();
        var options = Bind(dir.Path, ("Ingestion:AgentLogs:0", dir.File("a")), ("Ingestion:AgentLogs:1", dir.File("b")), ("Ingestion:Transcripts", dir.File("t")));
        Assert.Equal([dir.File("a"), dir.File("b")], options.Ingestion.AgentLogs);
        Assert.Equal([dir.File("t")], options.Ingestion.Transcripts);
    }

    [Fact]
    public void Reads_a_commented_json_file_and_environment_overrides_it()
    {
        using var dir = new TempDir();
        var file = dir.Write("appsettings.json", """
            {
              // comments are allowed
              "Paths": { "State": "STATE" },
              "Metrics": { "Listen": "127.0.0.1:1111", },
            }
            """.Replace("STATE", dir.File("state")));
        Assert.Equal(1111, DaemonOptionsLoader.Load(file, null).Metrics.Listen.Port);

        Environment.SetEnvironmentVariable("CONTINUAL_TRAINER__Metrics__Listen", "127.0.0.1:2222");
        try
        {
            var options = DaemonOptionsLoader.Load(file, null);
            Assert.Equal(2222, options.Metrics.Listen.Port);
            Assert.Equal(file, options.ConfigFile);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CONTINUAL_TRAINER__Metrics__Listen", null);
        }
    }

    [Fact]
    public void A_file_that_is_not_json_is_one_clear_error()
    {
        using var dir = new TempDir();
        var file = dir.Write("bad.json", "{ \"Paths\": ");
        var error = Assert.Throws<ConfigurationException>(() => DaemonOptionsLoader.Load(file, null));
        Assert.StartsWith(file + " is not valid JSON", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void The_sample_configuration_loads_and_gives_the_embedded_defaults()
    {
        using var dir = new TempDir();
        var sample = Path.Combine(SharedFixtures.RepoRoot, "etc", "continual-trainer", "appsettings.json");
        var fromSample = DaemonOptionsLoader.Load(sample, dir.Path);
        var embedded = Bind(dir.Path);
        Assert.Equal(embedded.Paths, fromSample.Paths);
        Assert.Equal(embedded.Model, fromSample.Model);
        Assert.Equal(embedded.Ingestion.AgentLogs, fromSample.Ingestion.AgentLogs);
        Assert.Equal(embedded.Ingestion.Transcripts, fromSample.Ingestion.Transcripts);
        Assert.Equal(embedded.Metrics, fromSample.Metrics);
        Assert.Equal(embedded.Training, fromSample.Training);
        Assert.Equal(embedded.Guard, fromSample.Guard);
        Assert.Equal(embedded.Schedule, fromSample.Schedule);
    }

    [Fact]
    public void A_missing_config_file_is_an_error()
    {
        var error = Assert.Throws<ConfigurationException>(() => DaemonOptionsLoader.Load("/nonexistent/appsettings.json", null));
        Assert.Equal("--config /nonexistent/appsettings.json: no such file", error.Message);
    }
}
