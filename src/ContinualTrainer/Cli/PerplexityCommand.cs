using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ContinualTrainer.Engine.Eval;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Cli;

/// <summary>
/// <c>continual-trainer perplexity</c>: the perplexity of a model checkpoint on a text file, windowed as
/// <see cref="Perplexity"/> defines it (the text is encoded with the model's own tokenizer, no special tokens).
/// </summary>
public static class PerplexityCommand
{
    private static readonly Option<DirectoryInfo> Model = new("--model")
    {
        Description = "Hugging Face checkpoint directory (config.json, safetensors, tokenizer.json)",
        HelpName = "DIR",
        Required = true,
    };

    private static readonly Option<FileInfo> Text = new("--text") { Description = "UTF-8 text file to score", HelpName = "FILE", Required = true };
    private static readonly Option<int> Window = new("--window") { Description = "Tokens per window", DefaultValueFactory = _ => 64 };
    private static readonly Option<int> Batch = new("--batch") { Description = "Windows per forward pass", DefaultValueFactory = _ => 8 };
    private static readonly Option<int?> Threads = new("--threads") { Description = "Threads for kernels and BLAS (default: every core)" };
    private static readonly Option<bool> Json = new("--json") { Description = "End with one JSON object on the last line" };

    public static Command Create()
    {
        var command = new Command("perplexity", "Perplexity of a model on a text file (consecutive windows, mean next-token NLL)");
        foreach (var option in new Option[] { Model, Text, Window, Batch, Threads, Json }) command.Options.Add(option);
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var (window, batch) = (parseResult.GetValue(Window), parseResult.GetValue(Batch));
            if (window < 2 || batch < 1) throw new CliException($"--window must be at least 2 and --batch at least 1 (got {window}, {batch})", ExitCodes.Usage);
            if (parseResult.GetValue(Threads) is { } threads)
            {
                if (threads < 1) throw new CliException($"--threads must be at least 1 (got {threads})", ExitCodes.Usage);
                Parallelism.SetThreads(threads);
            }
            var modelDir = parseResult.GetValue(Model)!;
            var textFile = parseResult.GetValue(Text)!;
            if (!modelDir.Exists) throw new CliException($"{modelDir.FullName}: model directory not found");
            if (!textFile.Exists) throw new CliException($"{textFile.FullName}: text file not found");

            var (model, tokens) = LoadModelAndText(modelDir, textFile);
            using (model)
            {
                if (window > model.Config.MaxPositionEmbeddings)
                    throw new CliException($"--window {window} exceeds the model's max_position_embeddings {model.Config.MaxPositionEmbeddings}", ExitCodes.Usage);
                if (tokens.Length < 2) throw new CliException($"{textFile.FullName}: {tokens.Length} token(s); perplexity needs at least 2");
                output.WriteLine($"model: {modelDir.FullName} ({model.Config.Architecture}, {model.Parameters.Count / 1e6:F1}M parameters)");
                output.WriteLine($"text: {textFile.FullName}, {tokens.Length} tokens, windows of {window}, {batch} per batch");
                var clock = Stopwatch.StartNew();
                var result = Perplexity.Evaluate(model, tokens, window, batch);
                var tokensPerSecond = tokens.Length / clock.Elapsed.TotalSeconds;
                output.WriteLine($"tokens predicted: {result.TokensPredicted}");
                output.WriteLine($"mean NLL: {result.MeanNll:F6}");
                output.WriteLine($"perplexity: {result.Perplexity:F4}");
                output.WriteLine($"speed: {tokensPerSecond:F1} tokens/s");
                if (parseResult.GetValue(Json))
                {
                    output.WriteLine(JsonSerializer.Serialize(new
                    {
                        tokens_predicted = result.TokensPredicted,
                        mean_nll = result.MeanNll,
                        perplexity = result.Perplexity,
                        tokens_per_s = Math.Round(tokensPerSecond, 1),
                    }));
                }
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static (TransformerModel Model, int[] Tokens) LoadModelAndText(DirectoryInfo modelDir, FileInfo textFile)
    {
        try
        {
            var tokenizer = BpeTokenizer.FromDirectory(modelDir.FullName);
            var tokens = tokenizer.Encode(File.ReadAllText(textFile.FullName));
            return (TransformerModel.Load(modelDir.FullName), tokens);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or HfCheckpointException
                                      or ModelConfigException or SafeTensorsFormatException or InvalidDataException)
        {
            throw new CliException(e.Message);
        }
    }
}
