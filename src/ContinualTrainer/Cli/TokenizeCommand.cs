using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Cli;

/// <summary>
/// <c>continual-trainer tokenize</c>: a JSON-lines filter over stdin/stdout that encodes
/// <c>{"text": ...}</c> lines to <c>{"ids": [...]}</c> lines (no special tokens added), or decodes with
/// <c>--decode</c>. It stops at the first malformed line with a message naming the line (exit code 1);
/// every line before it has been answered.
/// </summary>
public static class TokenizeCommand
{
    private static readonly Option<string> TokenizerPath = new("--tokenizer")
    {
        Description = "A tokenizer.json, or a Hugging Face model directory holding one",
        HelpName = "PATH",
        Required = true,
    };

    private static readonly Option<bool> Decode = new("--decode")
    {
        Description = "Read {\"ids\": [...]} lines and write {\"text\": ...} lines instead",
    };

    private static readonly JsonSerializerOptions OutputJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="input">Where the lines are read from; standard input when null.</param>
    public static Command Create(TextReader? input = null)
    {
        var command = new Command(
            "tokenize",
            "Encode JSON lines {\"text\": \"...\"} from stdin to {\"ids\": [...]} lines on stdout, one per input line "
            + "(no special tokens are added; special tokens written in the text are kept as single ids). "
            + "Stops at the first malformed line: message on stderr with its line number, exit code 1.");
        command.Options.Add(TokenizerPath);
        command.Options.Add(Decode);
        command.SetAction(parseResult =>
        {
            var tokenizer = LoadTokenizer(parseResult.GetValue(TokenizerPath)!);
            var output = parseResult.InvocationConfiguration.Output;
            var reader = input ?? Console.In;
            var decode = parseResult.GetValue(Decode);
            var lineNumber = 0;
            var ids = new List<int>();
            while (reader.ReadLine() is { } line)
            {
                lineNumber++;
                output.WriteLine(decode ? DecodeLine(tokenizer, line, lineNumber) : EncodeLine(tokenizer, line, lineNumber, ids));
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Loads the tokenizer a <c>--tokenizer PATH</c> option names: a tokenizer.json or a model directory.</summary>
    public static BpeTokenizer LoadTokenizer(string path)
    {
        try
        {
            if (Directory.Exists(path)) return BpeTokenizer.FromDirectory(path);
            if (File.Exists(path)) return BpeTokenizer.FromFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new CliException(e.Message);
        }
        throw new CliException($"--tokenizer {path}: no such file or directory");
    }

    private static string EncodeLine(BpeTokenizer tokenizer, string line, int lineNumber, List<int> ids)
    {
        string text;
        try
        {
            using var document = JsonDocument.Parse(line);
            text = document.RootElement is { ValueKind: JsonValueKind.Object } root
                && root.TryGetProperty("text", out var value) && value.ValueKind == JsonValueKind.String
                    ? value.GetString()!
                    : throw Malformed(lineNumber, "expected an object with a string \"text\"");
        }
        catch (JsonException e)
        {
            throw Malformed(lineNumber, $"not valid JSON (at byte {e.BytePositionInLine})");
        }
        ids.Clear();
        tokenizer.Encode(text, ids);
        return $"{{\"ids\":[{string.Join(',', ids)}]}}";
    }

    private static string DecodeLine(BpeTokenizer tokenizer, string line, int lineNumber)
    {
        int[] ids;
        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement is not { ValueKind: JsonValueKind.Object } root
                || !root.TryGetProperty("ids", out var array) || array.ValueKind != JsonValueKind.Array)
                throw Malformed(lineNumber, "expected an object with an \"ids\" array");
            ids = [.. array.EnumerateArray().Select(id => id.ValueKind == JsonValueKind.Number && id.TryGetInt32(out var v)
                ? v
                : throw Malformed(lineNumber, $"\"ids\" holds {id.GetRawText()}, not a 32-bit integer"))];
        }
        catch (JsonException e)
        {
            throw Malformed(lineNumber, $"not valid JSON (at byte {e.BytePositionInLine})");
        }
        try
        {
            return JsonSerializer.Serialize(new { text = tokenizer.Decode(ids) }, OutputJson);
        }
        catch (ArgumentOutOfRangeException)
        {
            var bad = ids.First(id => tokenizer.IdToToken(id) is null);
            throw Malformed(lineNumber, $"id {bad} is not in the vocabulary (size {tokenizer.VocabSize})");
        }
    }

    private static CliException Malformed(int lineNumber, string reason) => new($"stdin line {lineNumber}: {reason}");
}
