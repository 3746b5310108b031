using System.CommandLine;
using System.Text.Json;
using ContinualTrainer.Cli;

namespace ContinualTrainer.Tests.Cli;

/// <summary><c>continual-trainer tokenize</c> run in-process on JSON lines, checked against the reference cases.</summary>
public sealed class TokenizeCommandTests
{
    private static string Qwen3Dir => SharedFixtures.Path("fixtures", "tokenizers", "qwen3");

    private static (int Code, string Out, string Err) Run(string stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var command = TokenizeCommand.Create(new StringReader(stdin));
        var parseResult = command.Parse(args);
        Assert.Empty(parseResult.Errors);
        int code;
        try
        {
            code = parseResult.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (CliException e)
        {
            stderr.WriteLine(e.Message);
            code = e.ExitCode;
        }
        return (code, stdout.ToString(), stderr.ToString());
    }

    [SharedFact]
    public void Encodes_json_lines_to_the_reference_ids()
    {
        var cases = File.ReadLines(SharedFixtures.Path("fixtures", "tokenizers", "qwen3", "cases.jsonl")).Take(12).ToArray();
        var input = string.Join("\n", cases.Select(line => JsonSerializer.Serialize(new { text = JsonDocument.Parse(line).RootElement.GetProperty("text").GetString() })));

        var (code, stdout, stderr) = Run(input, "--tokenizer", Qwen3Dir);

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var outputLines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(cases.Length, outputLines.Length);
        for (var i = 0; i < cases.Length; i++)
        {
            var expected = JsonDocument.Parse(cases[i]).RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32());
            var actual = JsonDocument.Parse(outputLines[i]).RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32());
            Assert.Equal(expected, actual);
        }
    }

    [SharedFact]
    public void Decodes_id_lines_back_to_text()
    {
        // Ids of "Hello, world!" and "<|im_start|>user" from the Qwen3 reference cases.
        var (code, stdout, stderr) = Run("{\"ids\":[9707,11,1879,0]}\n{\"ids\":[151644,872]}", "--tokenizer", Path.Combine(Qwen3Dir, "tokenizer.json"), "--decode");

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var texts = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString());
        Assert.Equal(["Hello, world!", "<|im_start|>user"], texts);
    }

    [SharedFact]
    public void Stops_at_a_malformed_line_naming_its_number()
    {
        var (code, stdout, stderr) = Run("{\"text\":\"ok\"}\n{\"txt\":\"wrong key\"}\n{\"text\":\"never read\"}", "--tokenizer", Qwen3Dir);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("stdin line 2:", stderr);
    }

    [SharedFact]
    public void Reports_an_id_outside_the_vocabulary_with_its_line()
    {
        var (code, _, stderr) = Run("{\"ids\":[1,2]}\n{\"ids\":[5,99999999]}", "--tokenizer", Qwen3Dir, "--decode");

        Assert.Equal(ExitCodes.Failure, code);
        Assert.StartsWith("stdin line 2: id 99999999 is not in the vocabulary", stderr);
    }

    [Fact]
    public void Rejects_a_tokenizer_path_that_does_not_exist()
    {
        var (code, _, stderr) = Run("", "--tokenizer", "/nonexistent/tokenizer.json");

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("/nonexistent/tokenizer.json: no such file or directory", stderr);
    }
}
