namespace ContinualTrainer.Tests.Bootstrap;

/// <summary>A few kilobytes of simple, regular English paragraphs (drawn from a seed) for pre-training tests.</summary>
internal static class SmallCorpus
{
    private static readonly string[] Subjects = ["The cat", "A dog", "My friend", "The old man", "Our teacher", "The little bird", "A farmer", "The king"];
    private static readonly string[] Verbs = ["sees", "likes", "finds", "carries", "paints", "watches", "feeds", "follows"];
    private static readonly string[] Objects = ["the red ball", "a small house", "the green tree", "a cold river", "the big stone", "a warm bread", "the blue boat"];
    private static readonly string[] Endings = ["in the morning.", "at night.", "near the hill.", "every day.", "with great care.", "after the rain."];

    /// <summary><paramref name="paragraphs"/> paragraphs of three sentences each, separated by blank lines.</summary>
    public static string Text(int paragraphs, int seed = 1)
    {
        var random = new Random(seed);
        string Pick(string[] words) => words[random.Next(words.Length)];
        return string.Join("\n\n", Enumerable.Range(0, paragraphs).Select(_ =>
            string.Join(" ", Enumerable.Range(0, 3).Select(_ => $"{Pick(Subjects)} {Pick(Verbs)} {Pick(Objects)} {Pick(Endings)}"))));
    }
}
