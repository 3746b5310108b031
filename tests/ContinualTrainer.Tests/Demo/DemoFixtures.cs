using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Demo;

/// <summary>The tiny fixture model and a small general corpus (the first paragraphs of wikitext-2's validation text) for the demo's tests.</summary>
public static class DemoFixtures
{
    public static string TinyModel => SharedFixtures.Path("fixtures", "models", "tiny-llama");

    /// <summary>Writes about <paramref name="characters"/> characters of whole wikitext paragraphs to <c>corpus.txt</c> in <paramref name="dir"/>.</summary>
    public static string SmallCorpus(TempDir dir, int characters = 60_000)
    {
        var text = File.ReadAllText(SharedFixtures.Path("corpora", "wikitext-2", "valid.txt"));
        var cut = text.IndexOf("\n \n", Math.Min(characters, text.Length - 3), StringComparison.Ordinal);
        return dir.Write("corpus.txt", cut < 0 ? text : text[..cut]);
    }
}
