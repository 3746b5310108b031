using System.Diagnostics;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.State;
using ContinualTrainer.Tests.Support;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary>The real daemon in a child process ingesting real files: killed at random moments, and timed.</summary>
public sealed class DaemonIngestionTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        dir.Dispose();
    }

    private string State => dir.File("var");

    private string AgentLogs => Path.Combine(State, "inbox", "agent-logs");

    private string Transcripts => Path.Combine(State, "inbox", "transcripts");

    private static Dictionary<string, string?> Environment(params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string?> { ["CONTINUAL_TRAINER__Metrics__Listen"] = "127.0.0.1:0" };
        foreach (var (key, value) in settings) environment["CONTINUAL_TRAINER__Ingestion__" + key] = value;
        return environment;
    }

    private async Task<IReadOnlyDictionary<(string Category, string Key), string>> StoredAsync()
    {
        var path = Path.Combine(State, "state.db");
        var stored = new Dictionary<(string, string), string>();
        if (!File.Exists(path)) return stored;
        try
        {
            await using var connection = await new StateDatabase(path).OpenAsync(CancellationToken.None);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT category, conversation_key, content_sha256 FROM conversations";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) stored.Add((reader.GetString(0), reader.GetString(1)), reader.GetString(2));
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 1)
        {
            // The daemon has not created the tables yet.
        }
        return stored;
    }

    [Fact]
    public async Task Killing_the_daemon_at_random_moments_while_files_arrive_loses_and_repeats_nothing()
    {
        var random = new Random(20250301);
        var corpus = new GrowingCorpus(AgentLogs, Transcripts, random);
        var environment = Environment(("SettleSeconds", "0.3"), ("RescanSeconds", "1"));
        var clock = Stopwatch.StartNew();
        var kills = new List<int>();
        for (var round = 0; round < 8; round++)
        {
            using var daemon = DaemonProcess.Start(dir.Path, environment, "run");
            var killAt = random.Next(250, 2500);
            var alive = Stopwatch.StartNew();
            while (alive.ElapsedMilliseconds < killAt)
            {
                corpus.Step();
                await Task.Delay(random.Next(5, 60));
            }
            daemon.Signal(DaemonProcess.SIGKILL);
            Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10)), "the daemon survived SIGKILL");
            kills.Add(killAt);
        }
        corpus.Finish();

        var expected = ParserOracle.Expected(corpus.Files);
        using (var last = DaemonProcess.Start(dir.Path, environment, "run"))
        {
            var deadline = Stopwatch.StartNew();
            // SIGTERM before the runtime handles signals would kill it outright (exit 143): wait until it runs.
            while (deadline.Elapsed < TimeSpan.FromSeconds(15) && !last.Output.Contains("daemon running on state folder", StringComparison.Ordinal)) await Task.Delay(50);
            while (deadline.Elapsed < TimeSpan.FromSeconds(30) && !Same(expected, await StoredAsync())) await Task.Delay(200);
            last.Signal(DaemonProcess.SIGTERM);
            Assert.True(await last.WaitForExitAsync(TimeSpan.FromSeconds(15)), last.Output);
            Assert.True(last.ExitCode == 0, last.Output);
        }

        var stored = await StoredAsync();
        output.WriteLine($"{kills.Count} kills at {string.Join(", ", kills)} ms; {corpus.Files.Count} files, {expected.Count} conversations, {corpus.Events} agent-log events; {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(expected.Count > 50, $"only {expected.Count} conversations were written: the test exercised too little");
        Assert.Empty(expected.Keys.Except(stored.Keys));
        Assert.Empty(stored.Keys.Except(expected.Keys));
        foreach (var (key, hash) in expected) Assert.True(hash == stored[key], $"{key} differs from what the parsers read from the final file");
    }

    [Fact]
    public async Task Dropped_files_are_queryable_within_seconds_and_counted_on_metrics_and_the_status_line()
    {
        using var socket = new NotifySocket(dir.Path);
        var environment = Environment();
        environment["NOTIFY_SOCKET"] = socket.Name;
        using var daemon = DaemonProcess.Start(dir.Path, environment, "run");
        Assert.True(await socket.WaitForAsync("READY=1", TimeSpan.FromSeconds(10)), daemon.Output);
        await Task.Delay(500);

        var renamed = new List<TimeSpan>();
        for (var i = 0; i < 5; i++) renamed.Add(await TimeUntilStoredAsync($"renamed-{i}.jsonl", Samples.Chats(0, 20, $"r{i}"), 20, byRename: true));
        var lines = await TimeUntilStoredAsync("in-place.jsonl", Samples.Chats(0, 20, "p"), 20, byRename: false);
        var document = await TimeUntilStoredAsync("in-place.json", Samples.ShareGptDocument(20), 20, byRename: false);

        output.WriteLine($"renamed in: queryable {string.Join(", ", renamed.Select(t => $"{t.TotalMilliseconds:F0}"))} ms after the rename");
        output.WriteLine($"JSONL written in place: queryable {lines.TotalMilliseconds:F0} ms after the write (complete lines are taken while a file grows)");
        output.WriteLine($"JSON document written in place: queryable {document.TotalMilliseconds:F0} ms after the write (settle time 2 s)");
        var metrics = await new HttpClient().GetStringAsync(await MetaAsync("daemon.listen_url") + "/metrics");
        Assert.Contains("continual_trainer_conversations_ingested_total{category=\"transcript\",source_type=\"openai\"} 120\n", metrics);
        Assert.Contains("continual_trainer_conversations_ingested_total{category=\"transcript\",source_type=\"sharegpt\"} 20\n", metrics);
        Assert.Contains("continual_trainer_files_ingested_total{category=\"transcript\"} 7\n", metrics);
        var deadline = Stopwatch.StartNew();
        while (await MetaAsync("daemon.status_line") is not { } line || !line.Contains("140 conversations", StringComparison.Ordinal))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), $"status line: {await MetaAsync("daemon.status_line")}");
            await Task.Delay(100);
        }

        daemon.Signal(DaemonProcess.SIGTERM);
        Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(15)), daemon.Output);
        Assert.Equal(0, daemon.ExitCode);
    }

    /// <summary>Drops a transcript holding <paramref name="count"/> conversations and measures until all of them are in the database.</summary>
    private async Task<TimeSpan> TimeUntilStoredAsync(string name, string text, int count, bool byRename)
    {
        var path = Path.Combine(Transcripts, name);
        var before = (await StoredAsync()).Count;
        if (byRename)
        {
            File.WriteAllText(path + ".part", text);
            File.Move(path + ".part", path);
        }
        else
        {
            File.WriteAllText(path, text);
        }
        var clock = Stopwatch.StartNew();
        while ((await StoredAsync()).Count < before + count)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"{name}: not stored within 15 s");
            await Task.Delay(10);
        }
        return clock.Elapsed;
    }

    private async Task<string?> MetaAsync(string key)
    {
        await using var connection = await new StateDatabase(Path.Combine(State, "state.db")).OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $k";
        command.Parameters.AddWithValue("$k", key);
        return await command.ExecuteScalarAsync() as string;
    }

    private static bool Same(IReadOnlyDictionary<(string, string), string> expected, IReadOnlyDictionary<(string, string), string> stored) =>
        expected.Count == stored.Count && expected.All(e => stored.TryGetValue(e.Key, out var hash) && hash == e.Value);

    /// <summary>
    /// Agent logs appended event by event (two sessions interleaved per file, sometimes half a line at a time) and
    /// transcripts dropped by rename or written in place in two pieces, all from one seeded random source.
    /// </summary>
    private sealed class GrowingCorpus(string agentLogs, string transcripts, Random random)
    {
        private readonly List<(string Path, string[] Sessions, int[] Next)> logs = [];
        private readonly Dictionary<string, string> halfLines = new(StringComparer.Ordinal);
        private readonly List<(string Path, ConversationCategory Category)> files = [];
        private int transcriptCount;

        public IReadOnlyList<(string Path, ConversationCategory Category)> Files => files;

        public int Events { get; private set; }

        public void Step()
        {
            switch (random.Next(10))
            {
                case < 6:
                    AppendEvents();
                    break;
                case < 8:
                    DropTranscript(byRename: true);
                    break;
                default:
                    DropTranscript(byRename: false);
                    break;
            }
        }

        /// <summary>Completes every half-written line, as the agents eventually do.</summary>
        public void Finish()
        {
            foreach (var (path, rest) in halfLines) Inbox.Append(path, rest);
            halfLines.Clear();
        }

        private void AppendEvents()
        {
            Directory.CreateDirectory(agentLogs);
            if (logs.Count < 3 && (logs.Count == 0 || random.Next(4) == 0))
            {
                var index = logs.Count;
                var path = Path.Combine(agentLogs, index % 2 == 0 ? $"log-{index}.jsonl" : Path.Combine($"project-{index}", "session.jsonl"));
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, "");
                logs.Add((path, [$"s{index}a", $"s{index}b"], [0, 0]));
                files.Add((path, ConversationCategory.AgentLog));
            }
            var (logPath, sessions, next) = logs[random.Next(logs.Count)];
            var text = halfLines.Remove(logPath, out var rest) ? rest : "";
            for (var n = random.Next(1, 6); n > 0; n--)
            {
                var which = random.Next(2);
                text += Samples.Event(sessions[which], next[which]++);
                Events++;
            }
            if (random.Next(4) == 0)
            {
                var which = random.Next(2);
                var line = Samples.Event(sessions[which], next[which]++);
                Events++;
                var cut = random.Next(1, line.Length - 1);
                text += line[..cut];
                halfLines[logPath] = line[cut..];
            }
            Inbox.Append(logPath, text);
        }

        private void DropTranscript(bool byRename)
        {
            var index = transcriptCount++;
            var path = Path.Combine(transcripts, index % 3 == 0 ? Path.Combine($"team-{index % 2}", $"chats-{index}.jsonl") : $"chats-{index}.jsonl");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var text = Samples.Chats(0, random.Next(1, 8), $"t{index}");
            if (byRename)
            {
                File.WriteAllText(path + ".tmp", text);
                File.Move(path + ".tmp", path);
            }
            else
            {
                var cut = random.Next(1, text.Length);
                File.WriteAllText(path, text[..cut]);
                Inbox.Append(path, text[cut..]);
            }
            files.Add((path, ConversationCategory.Transcript));
        }
    }
}
