using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Cli.Bench;

/// <summary>
/// <c>continual-trainer bench ingest</c>: single-thread parsing throughput (MB/s) of the ingestion parsers,
/// on a file or on a generated corpus of realistic conversations (system prompt, question, tool call, tool
/// result with code, answer; escapes and non-ASCII text). The input is held in memory so that the figure
/// is the parser's, not the disk's.
/// </summary>
public static class BenchIngestCommand
{
    private static readonly Option<FileInfo?> InputFile = new("--file")
    {
        Description = "Parse this file (format detected, or --format) instead of a generated corpus",
        HelpName = "FILE",
    };

    private static readonly Option<string?> Format = new("--format")
    {
        Description = "Format: openai, sharegpt, agent-log or text (generated corpus default: openai)",
        HelpName = "NAME",
    };

    private static readonly Option<int> Megabytes = new("--megabytes") { Description = "Size of the generated corpus", DefaultValueFactory = _ => 64 };
    private static readonly Option<double> Seconds = new("--seconds") { Description = "Measure for at least this long", DefaultValueFactory = _ => 10 };
    private static readonly Option<bool> Json = new("--json") { Description = "End with one JSON object on the last line" };

    public static Command Create()
    {
        var command = new Command("ingest", "Conversation parsing throughput (MB/s) on one thread");
        foreach (var option in new Option[] { InputFile, Format, Megabytes, Seconds, Json }) command.Options.Add(option);
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var seconds = parseResult.GetValue(Seconds);
            if (seconds <= 0) throw new CliException($"--seconds must be positive (got {seconds})", ExitCodes.Usage);
            var formatName = parseResult.GetValue(Format);
            if (formatName is not null && !ConversationFormatNames.TryParse(formatName, out _))
                throw new CliException($"--format '{formatName}': expected openai, sharegpt, agent-log or text", ExitCodes.Usage);

            var (bytes, source) = Input(parseResult.GetValue(InputFile), formatName, parseResult.GetValue(Megabytes));
            var limits = IngestionLimits.Default with { MaxFileBytes = Math.Max(IngestionLimits.Default.MaxFileBytes, bytes.Length) };
            var detection = new FormatDetector(limits, TextTranscriptOptions.Default).Detect(new MemoryStream(bytes), fileIsComplete: true, formatName);
            if (detection.Format is not { } format) throw new CliException($"{source}: {detection.Rejection?.Reason ?? "format not recognised"}");
            var parser = ConversationParsers.Create(format, limits, TextTranscriptOptions.Default);
            var megabytes = bytes.Length / 1e6;
            output.WriteLine($"input: {source}, {megabytes:F1} MB, format {format.ToName()}");

            var first = Pass(parser, bytes);
            output.WriteLine($"first pass: {megabytes / first.Seconds:F1} MB/s; {first.Conversations} conversations, {first.Messages} messages, {first.Skipped} skipped lines");
            var clock = Stopwatch.StartNew();
            var passes = 0;
            while (clock.Elapsed.TotalSeconds < seconds || passes < 1)
            {
                Pass(parser, bytes);
                passes++;
            }
            var elapsed = clock.Elapsed.TotalSeconds;
            var mbPerSecond = megabytes * passes / elapsed;
            output.WriteLine($"steady state: {mbPerSecond:F1} MB/s, {first.Conversations * passes / elapsed:F0} conversations/s over {passes} passes");
            if (parseResult.GetValue(Json))
            {
                output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, double>
                {
                    ["mb_per_s"] = Math.Round(mbPerSecond, 1),
                    ["conversations_per_s"] = Math.Round(first.Conversations * passes / elapsed),
                    ["first_pass_mb_per_s"] = Math.Round(megabytes / first.Seconds, 1),
                }));
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private sealed record SyntheticConversation(string System, string Question, string Arguments, string ToolResult, string Answer);

    private static (byte[] Bytes, string Source) Input(FileInfo? file, string? formatName, int megabytes)
    {
        if (file is not null)
        {
            if (!file.Exists) throw new CliException($"--file {file.FullName}: no such file");
            return (File.ReadAllBytes(file.FullName), file.FullName);
        }
        if (megabytes < 1) throw new CliException($"--megabytes must be at least 1 (got {megabytes})", ExitCodes.Usage);
        var format = formatName is null ? ConversationFormat.OpenAi : ConversationFormatNames.Parse(formatName);
        return (Generate(format, megabytes * 1_000_000L), $"generated {format.ToName()} corpus");
    }

    private static (double Seconds, int Conversations, long Messages, int Skipped) Pass(IConversationParser parser, byte[] bytes)
    {
        var clock = Stopwatch.StartNew();
        var (conversations, messages, skipped) = (0, 0L, 0);
        using var stream = new MemoryStream(bytes, writable: false);
        foreach (var record in parser.Parse(stream, new ParseRequest("bench", FileIsComplete: true)))
        {
            switch (record)
            {
                case ParsedConversation parsed:
                    conversations++;
                    messages += parsed.Conversation.Messages.Count;
                    break;
                case SkippedLine:
                    skipped++;
                    break;
                case QuarantineReason quarantine:
                    throw new CliException($"input quarantined: {quarantine.Reason}");
            }
        }
        return (clock.Elapsed.TotalSeconds, conversations, messages, skipped);
    }

    /// <summary>About <paramref name="size"/> bytes of conversations in <paramref name="format"/>, the same for every run.</summary>
    private static byte[] Generate(ConversationFormat format, long size)
    {
        var random = new Random(42);
        var output = new MemoryStream((int)Math.Min(size + (1 << 20), Array.MaxLength));
        using var writer = new Utf8JsonWriter(output);
        void Line(Action<Utf8JsonWriter> write)
        {
            write(writer);
            writer.Flush();
            writer.Reset();
            output.WriteByte((byte)'\n');
        }

        for (var index = 0; output.Length < size; index++)
        {
            var turn = Turn(random);
            switch (format)
            {
                case ConversationFormat.OpenAi:
                    Line(w => WriteOpenAi(w, turn));
                    break;
                case ConversationFormat.ShareGpt:
                    Line(w => WriteShareGpt(w, turn));
                    break;
                case ConversationFormat.AgentLog:
                    foreach (var e in AgentEvents(turn, $"session-{index % 7}", index)) Line(e);
                    break;
                default:
                    output.Write(Encoding.UTF8.GetBytes(
                        $"System: {turn.System}\nUser: {turn.Question}\nAssistant: Running {turn.Arguments}\nTool: {turn.ToolResult}\nAssistant: {turn.Answer}\n---\n"));
                    break;
            }
        }
        writer.Flush();
        return output.ToArray();
    }

    private static SyntheticConversation Turn(Random random)
    {
        string[] words =
        [
            "the", "build", "fails", "when", "cache", "is", "cold", "naïve", "Zürich", "日本語", "—", "retry", "config", "path",
            "\"quoted\"", "test", "timeout", "module", "import", "value", "returns", "null", "because", "of", "a", "race",
        ];
        string Words(int count) => string.Join(' ', Enumerable.Range(0, count).Select(_ => words[random.Next(words.Length)]));
        string Code(int lines) => string.Join('\n', Enumerable.Range(0, lines).Select(i => $"\tif (x[{i}] == \"{Words(2)}\") return path + \"\\\\{i}\";"));
        return new SyntheticConversation(
            "You are a careful coding agent. " + Words(20),
            Words(25 + random.Next(20)) + "?",
            JsonSerializer.Serialize(new Dictionary<string, object> { ["command"] = $"grep -rn '{Words(2)}' src/", ["timeout"] = random.Next(1, 60) }),
            Code(15 + random.Next(20)),
            Words(80 + random.Next(80)) + ".");
    }

    private static void WriteOpenAi(Utf8JsonWriter w, SyntheticConversation t)
    {
        w.WriteStartObject();
        w.WriteStartArray("messages");
        Message(w, "system", t.System);
        Message(w, "user", t.Question);
        w.WriteStartObject();
        w.WriteString("role", "assistant");
        w.WriteNull("content");
        w.WriteStartArray("tool_calls");
        w.WriteStartObject();
        w.WriteString("id", "call_1");
        w.WriteString("type", "function");
        w.WriteStartObject("function");
        w.WriteString("name", "bash");
        w.WriteString("arguments", t.Arguments);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteString("role", "tool");
        w.WriteString("tool_call_id", "call_1");
        w.WriteString("content", t.ToolResult);
        w.WriteEndObject();
        Message(w, "assistant", t.Answer);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Message(Utf8JsonWriter w, string role, string content)
    {
        w.WriteStartObject();
        w.WriteString("role", role);
        w.WriteString("content", content);
        w.WriteEndObject();
    }

    private static void WriteShareGpt(Utf8JsonWriter w, SyntheticConversation t)
    {
        w.WriteStartObject();
        w.WriteString("system", t.System);
        w.WriteStartArray("conversations");
        foreach (var (from, value) in new[] { ("human", t.Question), ("function_call", $$"""{"name":"bash","arguments":{{t.Arguments}}}"""), ("observation", t.ToolResult), ("gpt", t.Answer) })
        {
            w.WriteStartObject();
            w.WriteString("from", from);
            w.WriteString("value", value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static IEnumerable<Action<Utf8JsonWriter>> AgentEvents(
        SyntheticConversation t, string sessionId, int index)
    {
        var second = 0;
        Action<Utf8JsonWriter> Event(string type, Action<Utf8JsonWriter> content)
        {
            var stamp = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(index * 10 + second++);
            return w =>
            {
                w.WriteStartObject();
                w.WriteString("type", type);
                w.WriteString("sessionId", sessionId);
                w.WriteString("uuid", $"{index}-{stamp.Second}");
                w.WriteString("timestamp", stamp);
                w.WriteStartObject("message");
                w.WriteString("role", type);
                w.WritePropertyName("content");
                content(w);
                w.WriteEndObject();
                w.WriteEndObject();
            };
        }
        void Block(Utf8JsonWriter w, string type, params (string Key, string Value)[] fields)
        {
            w.WriteStartArray();
            w.WriteStartObject();
            w.WriteString("type", type);
            foreach (var (key, value) in fields) w.WriteString(key, value);
            if (type == "tool_use")
            {
                w.WritePropertyName("input");
                using var input = JsonDocument.Parse(t.Arguments);
                input.WriteTo(w);
            }
            w.WriteEndObject();
            w.WriteEndArray();
        }

        yield return Event("user", w => w.WriteStringValue(t.Question));
        yield return Event("assistant", w => Block(w, "text", ("text", "Let me search.")));
        yield return Event("assistant", w => Block(w, "tool_use", ("id", $"toolu_{index}"), ("name", "Bash")));
        yield return Event("user", w => Block(w, "tool_result", ("tool_use_id", $"toolu_{index}"), ("content", t.ToolResult)));
        yield return Event("assistant", w => Block(w, "text", ("text", t.Answer)));
    }
}
