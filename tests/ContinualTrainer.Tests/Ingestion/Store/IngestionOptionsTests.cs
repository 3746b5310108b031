using ContinualTrainer.Configuration;
using ContinualTrainer.Ingestion.Formats;
using ContinualTrainer.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary>The <c>Ingestion</c> section: defaults, every key, and one clear line for each bad value.</summary>
public sealed class IngestionOptionsTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private IngestionOptions Bind(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value.Replace("{dir}", dir.Path, StringComparison.Ordinal))))
            .Build();
        return DaemonOptionsLoader.Bind(configuration, null, dir.Path).Ingestion;
    }

    [Fact]
    public void Defaults_watch_the_inbox_with_a_2_second_settle_and_nothing_moved()
    {
        var options = Bind();

        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(300)), (options.Settle, options.Rescan, options.AgentLogIdle));
        Assert.Equal(IngestionLimits.Default, options.Limits);
        Assert.Equal((null, null), (options.QuarantineDir, options.ArchiveDir));
        Assert.Empty(options.Formats);
        Assert.Equal(TextTranscriptOptions.Default.UserPrefixes, options.Text.UserPrefixes);
    }

    [Fact]
    public void Every_key_is_read()
    {
        var options = Bind(
            ("Ingestion:SettleSeconds", "0.5"),
            ("Ingestion:RescanSeconds", "10"),
            ("Ingestion:AgentLogIdleSeconds", "60"),
            ("Ingestion:MaxFileBytes", "1000000000"),
            ("Ingestion:MaxLineBytes", "4096"),
            ("Ingestion:MaxMessagesPerConversation", "50"),
            ("Ingestion:Text:UserPrefixes:0", "Human:"),
            ("Ingestion:Text:AssistantPrefixes", "AI:"),
            ("Ingestion:QuarantineDir", "{dir}/q"),
            ("Ingestion:ArchiveDir", "{dir}/a/"),
            ("Ingestion:Formats:0", "sharegpt:{dir}/inbox/transcripts/exports"));

        Assert.Equal((TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60)), (options.Settle, options.Rescan, options.AgentLogIdle));
        Assert.Equal((1_000_000_000L, 4096, 50), (options.Limits.MaxFileBytes, options.Limits.MaxLineBytes, options.Limits.MaxMessagesPerConversation));
        Assert.Equal(["Human:"], options.Text.UserPrefixes);
        Assert.Equal(["AI:"], options.Text.AssistantPrefixes);
        Assert.Equal((Path.Combine(dir.Path, "q"), Path.Combine(dir.Path, "a")), (options.QuarantineDir, options.ArchiveDir));
        var format = Assert.Single(options.Formats);
        Assert.Equal((Path.Combine(dir.Path, "inbox", "transcripts", "exports"), ConversationFormat.ShareGpt), (format.Folder, format.Format));
    }

    [Theory]
    [InlineData("Ingestion:SettleSeconds", "-1", "Ingestion:SettleSeconds = '-1' is not valid: expected a number from 0 to 3600")]
    [InlineData("Ingestion:MaxFileBytes", "lots", "Ingestion:MaxFileBytes = 'lots' is not valid: expected a whole number of bytes from 1 to 1099511627776")]
    [InlineData("Ingestion:MaxLineBytes", "0", "Ingestion:MaxLineBytes = '0' is not valid: expected a whole number from 1 to 1073741824")]
    [InlineData("Ingestion:Formats:0", "yaml:{dir}/inbox/transcripts", "Ingestion:Formats = 'yaml:")]
    [InlineData("Ingestion:Formats:0", "text:{dir}/elsewhere", "expected a FOLDER that is a watched folder")]
    [InlineData("Ingestion:ArchiveDir", "{dir}/inbox/transcripts/done", "expected a folder outside the watched folder")]
    [InlineData("Ingestion:QuarantineDir", "{dir}/inbox/agent-logs", "expected a folder outside the watched folder")]
    [InlineData("Ingestion:AgentLogIdleSeconds", "1", "expected at least Ingestion:SettleSeconds (2)")]
    public void A_bad_value_is_refused_with_one_line_naming_the_key(string key, string value, string message)
    {
        var error = Assert.Throws<ConfigurationException>(() => Bind((key, value)));

        Assert.Contains(message.Replace("{dir}", dir.Path, StringComparison.Ordinal), error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Nested_watched_folders_are_refused()
    {
        var error = Assert.Throws<ConfigurationException>(() => Bind(
            ("Ingestion:AgentLogs", "{dir}/inbox"),
            ("Ingestion:Transcripts", "{dir}/inbox/transcripts")));

        Assert.Equal($"Ingestion: watched folder {dir.Path}/inbox/transcripts is inside watched folder {dir.Path}/inbox; a file must belong to one folder", error.Message);
    }

    [Fact]
    public void The_sample_configuration_documents_the_ingestion_keys_with_their_defaults()
    {
        var sample = Path.Combine(SharedFixtures.RepoRoot, "etc", "continual-trainer", "appsettings.json");
        var fromSample = DaemonOptionsLoader.Load(sample, dir.Path).Ingestion;
        var embedded = Bind();

        Assert.Equal((embedded.Settle, embedded.Rescan, embedded.AgentLogIdle), (fromSample.Settle, fromSample.Rescan, fromSample.AgentLogIdle));
        Assert.Equal(embedded.Limits, fromSample.Limits);
        Assert.Equal((embedded.QuarantineDir, embedded.ArchiveDir), (fromSample.QuarantineDir, fromSample.ArchiveDir));
        Assert.Equal(embedded.Formats, fromSample.Formats);
        Assert.Equal(embedded.Text.SystemPrefixes, fromSample.Text.SystemPrefixes);
        Assert.Equal(embedded.Text.ToolPrefixes, fromSample.Text.ToolPrefixes);
        var text = File.ReadAllText(sample);
        foreach (var key in new[] { "SettleSeconds", "RescanSeconds", "AgentLogIdleSeconds", "MaxFileBytes", "MaxLineBytes", "MaxMessagesPerConversation", "QuarantineDir", "ArchiveDir", "Formats", "UserPrefixes" })
            Assert.Contains($"\"{key}\"", text);
    }
}
