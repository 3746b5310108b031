using System.Text.Encodings.Web;
using System.Text.Json;

namespace ContinualTrainer.Dataset;

/// <summary>How the dataset layer writes JSON (stored snapshot settings and summaries, <c>dataset ... --json</c>): snake_case names, UTF-8 unescaped.</summary>
public static class DatasetJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
