using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset.Rendering;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Dataset;

/// <summary>
/// Everything decision examples depend on for one model: its tokenizer, the chat format it is rendered in,
/// the limits, and the <see cref="Fingerprint"/> that keys the example cache. A new base model with the same
/// tokenizer files and settings has the same fingerprint and reuses the examples; any change to them gives a
/// new fingerprint, and examples are derived again from the stored conversations (never re-ingested).
/// </summary>
public sealed class TokenizerProfile
{
    /// <summary>Bumped when the way examples are rendered or cut changes, so that caches are derived again.</summary>
    public const int DerivationVersion = 1;

    private TokenizerProfile(string modelDirectory, BpeTokenizer tokenizer, IChatRenderer renderer, DatasetOptions options, string fingerprint, string description)
    {
        ModelDirectory = modelDirectory;
        Tokenizer = tokenizer;
        Renderer = renderer;
        Options = options;
        Limits = DecisionLimits.From(options);
        Extractor = new ExampleExtractor(tokenizer, renderer, Limits, options.IncludeThinking);
        Fingerprint = fingerprint;
        Description = description;
    }

    public string ModelDirectory { get; }
    public BpeTokenizer Tokenizer { get; }
    public IChatRenderer Renderer { get; }
    public DatasetOptions Options { get; }
    public DecisionLimits Limits { get; }
    public ExampleExtractor Extractor { get; }

    /// <summary>
    /// Lower-case hex SHA-256 over the derivation version, the SHA-256 of <c>tokenizer.json</c> and of
    /// <c>tokenizer_config.json</c> (empty when absent), the chat format, thinking on/off and the three limits.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>The fingerprint's inputs as one JSON object, stored next to it for people.</summary>
    public string Description { get; }

    /// <summary>
    /// Loads the tokenizer of a Hugging Face model directory and settles its chat format.
    /// Throws <see cref="DatasetException"/> naming the directory when it cannot be used.
    /// </summary>
    public static TokenizerProfile Load(string modelDirectory, DatasetOptions options)
    {
        var directory = Path.GetFullPath(modelDirectory);
        var tokenizerFile = Path.Combine(directory, "tokenizer.json");
        var configFile = Path.Combine(directory, "tokenizer_config.json");
        BpeTokenizer tokenizer;
        string tokenizerHash, configHash;
        try
        {
            tokenizer = BpeTokenizer.FromDirectory(directory);
            tokenizerHash = HashFile(tokenizerFile);
            configHash = File.Exists(configFile) ? HashFile(configFile) : "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new DatasetException($"model {directory}: cannot load its tokenizer: {e.Message}", e);
        }
        IChatRenderer renderer;
        try
        {
            renderer = ChatRenderers.Create(tokenizer, options.ChatFormat);
        }
        catch (DatasetException e)
        {
            throw new DatasetException($"model {directory}: {e.Message}", e);
        }

        var description = JsonSerializer.Serialize(new
        {
            derivation_version = DerivationVersion,
            tokenizer_json_sha256 = tokenizerHash,
            tokenizer_config_sha256 = configHash,
            chat_format = renderer.Format.ToName(),
            include_thinking = options.IncludeThinking,
            min_decision_tokens = options.MinDecisionTokens,
            max_decision_tokens = options.MaxDecisionTokens,
            max_context_tokens = options.MaxContextTokens,
        });
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(description)));
        return new TokenizerProfile(directory, tokenizer, renderer, options, fingerprint, description);
    }

    private static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
