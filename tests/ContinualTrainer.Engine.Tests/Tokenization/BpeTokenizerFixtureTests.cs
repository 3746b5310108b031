using System.Text;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Engine.Tests.Tokenization;

/// <summary>Exact agreement with Hugging Face tokenizers on the shared reference cases.</summary>
public sealed class BpeTokenizerFixtureTests
{
    [SharedFact]
    public void Tiny_tokenizer_matches_every_reference_case() =>
        AssertMatchesCases(TokenizerCases.TinyTokenizer, TokenizerCases.TinyCases);

    [SharedFact]
    public void Qwen3_tokenizer_matches_every_reference_case() =>
        AssertMatchesCases(TokenizerCases.Qwen3Tokenizer, TokenizerCases.Qwen3Cases);

    [SharedFact]
    public void Tiny_tokenizer_decodes_every_case_back_to_its_nfc_text() =>
        AssertRoundTrips(TokenizerCases.TinyTokenizer, TokenizerCases.TinyCases);

    [SharedFact]
    public void Qwen3_tokenizer_decodes_every_case_back_to_its_nfc_text() =>
        AssertRoundTrips(TokenizerCases.Qwen3Tokenizer, TokenizerCases.Qwen3Cases);

    [SharedFact]
    public void Reference_ids_decode_to_the_nfc_case_text()
    {
        var tokenizer = BpeTokenizer.FromFile(TokenizerCases.Qwen3Tokenizer);
        foreach (var (line, text, ids) in TokenizerCases.Read(TokenizerCases.Qwen3Cases))
            Assert.True(Nfc(text) == tokenizer.Decode(ids), $"line {line}: {Escape(text)}");
    }

    private static void AssertMatchesCases(string tokenizerPath, string casesPath)
    {
        var tokenizer = BpeTokenizer.FromFile(tokenizerPath);
        var cases = TokenizerCases.Read(casesPath);
        Assert.NotEmpty(cases);
        var report = new StringBuilder();
        var failures = 0;
        foreach (var (line, text, expected) in cases)
        {
            var actual = tokenizer.Encode(text);
            if (actual.AsSpan().SequenceEqual(expected)) continue;
            failures++;
            report.AppendLine($"line {line}: {Escape(text)}");
            report.AppendLine($"  expected [{string.Join(",", expected)}]");
            report.AppendLine($"  actual   [{string.Join(",", actual)}]");
        }
        Assert.True(failures == 0, $"{failures} of {cases.Count} cases differ:\n{report}");
    }

    private static void AssertRoundTrips(string tokenizerPath, string casesPath)
    {
        var tokenizer = BpeTokenizer.FromFile(tokenizerPath);
        var failures = new List<string>();
        foreach (var (line, text, _) in TokenizerCases.Read(casesPath))
        {
            var decoded = tokenizer.Decode(tokenizer.Encode(text));
            if (decoded != Nfc(text)) failures.Add($"line {line}: {Escape(text)} -> {Escape(decoded)}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static string Nfc(string text) => UnicodeNormalizer.Normalize(text, composed: true);

    private static string Escape(string text)
    {
        var shown = text.Length > 120 ? text[..120] + "..." : text;
        var builder = new StringBuilder();
        foreach (var c in shown) builder.Append(c < 0x20 || c is >= '\u007F' and <= '\u00A0' ? $"\\u{(int)c:X4}" : c.ToString());
        return builder.ToString();
    }
}
