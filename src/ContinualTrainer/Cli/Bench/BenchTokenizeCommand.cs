using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Cli.Bench;

/// <summary>
/// <c>continual-trainer bench tokenize</c>: single-thread encoding throughput of a tokenizer on a text
/// file, line by line. The first pass starts with an empty word cache (every distinct word is merged);
/// the steady-state figure repeats passes until <c>--seconds</c> have elapsed.
/// </summary>
public static class BenchTokenizeCommand
{
    private static readonly Option<string> TokenizerPath = new("--tokenizer")
    {
        Description = "A tokenizer.json, or a Hugging Face model directory holding one",
        HelpName = "PATH",
        Required = true,
    };

    private static readonly Option<FileInfo> TextFile = new("--text")
    {
        Description = "UTF-8 text to encode, one line at a time",
        HelpName = "FILE",
        Required = true,
    };

    private static readonly Option<double> Seconds = new("--seconds") { Description = "Measure for at least this long", DefaultValueFactory = _ => 10 };
    private static readonly Option<bool> Json = new("--json") { Description = "End with one JSON object on the last line" };

    public static Command Create()
    {
        var command = new Command("tokenize", "Tokenizer encoding throughput (MB/s of UTF-8, tokens/s) on one thread");
        foreach (var option in new Option[] { TokenizerPath, TextFile, Seconds, Json }) command.Options.Add(option);
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var seconds = parseResult.GetValue(Seconds);
            if (seconds <= 0) throw new CliException($"--seconds must be positive (got {seconds})", ExitCodes.Usage);
            var file = parseResult.GetValue(TextFile)!;
            if (!file.Exists) throw new CliException($"--text {file.FullName}: no such file");

            var clock = Stopwatch.StartNew();
            var tokenizer = TokenizeCommand.LoadTokenizer(parseResult.GetValue(TokenizerPath)!);
            var loadSeconds = clock.Elapsed.TotalSeconds;
            var lines = File.ReadAllLines(file.FullName).Select(line => line + "\n").ToArray();
            var megabytes = lines.Sum(line => (long)Encoding.UTF8.GetByteCount(line)) / 1e6;
            output.WriteLine($"tokenizer: vocab {tokenizer.VocabSize}, loaded in {loadSeconds:F2} s; text: {megabytes:F2} MB in {lines.Length} lines");

            var ids = new List<int>(1 << 16);
            var cold = Pass(tokenizer, lines, ids);
            output.WriteLine($"first pass (empty word cache): {megabytes / cold.Seconds:F2} MB/s, {cold.Tokens / cold.Seconds:F0} tokens/s");

            clock.Restart();
            long tokens = 0;
            var passes = 0;
            while (clock.Elapsed.TotalSeconds < seconds || passes < 1)
            {
                tokens += Pass(tokenizer, lines, ids).Tokens;
                passes++;
            }
            var elapsed = clock.Elapsed.TotalSeconds;
            var mbPerSecond = megabytes * passes / elapsed;
            var tokensPerSecond = tokens / elapsed;
            output.WriteLine($"steady state: {mbPerSecond:F2} MB/s, {tokensPerSecond:F0} tokens/s over {passes} passes ({cold.Tokens} tokens per pass)");
            if (parseResult.GetValue(Json))
            {
                output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, double>
                {
                    ["mb_per_s"] = Math.Round(mbPerSecond, 2),
                    ["tokens_per_s"] = Math.Round(tokensPerSecond),
                    ["first_pass_mb_per_s"] = Math.Round(megabytes / cold.Seconds, 2),
                    ["load_s"] = Math.Round(loadSeconds, 3),
                }));
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static (double Seconds, long Tokens) Pass(BpeTokenizer tokenizer, string[] lines, List<int> ids)
    {
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        foreach (var line in lines)
        {
            ids.Clear();
            tokenizer.Encode(line, ids);
            tokens += ids.Count;
        }
        return (clock.Elapsed.TotalSeconds, tokens);
    }
}
