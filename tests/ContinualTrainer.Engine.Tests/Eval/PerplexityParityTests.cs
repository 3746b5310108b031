using System.Text.Json;
using ContinualTrainer.Engine.Eval;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Engine.Tests.Eval;

public sealed class PerplexityParityTests
{
    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-qwen3-bf16")]
    public void Perplexity_of_the_fixture_text_matches_pytorch(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(SharedFixtures.Path("fixtures", "parity", name + ".json")));
        var root = json.RootElement;
        var modelDir = SharedFixtures.Path("fixtures", "models", name);
        var tokens = BpeTokenizer.FromDirectory(modelDir).Encode(root.GetProperty("perplexity_text").GetString()!);
        using var model = TransformerModel.Load(modelDir);

        var result = Perplexity.Evaluate(model, tokens, root.GetProperty("perplexity_window").GetInt32(), batchSize: 8);

        Assert.Equal(root.GetProperty("perplexity_tokens_predicted").GetInt64(), result.TokensPredicted);
        Assert.InRange(result.MeanNll - root.GetProperty("perplexity_mean_nll").GetDouble(), -1e-4, 1e-4);
    }
}
