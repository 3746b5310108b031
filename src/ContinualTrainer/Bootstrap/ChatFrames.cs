using System.Text;
using ContinualTrainer.Dataset.General;

namespace ContinualTrainer.Bootstrap;

/// <summary>
/// Renders the corpus's training documents as short ChatML conversations for pre-training, so the base model knows
/// the chat frame the daemon trains on (<c>&lt;|im_start|&gt;role</c>, turn ends, who speaks next) before any LoRA
/// run: consecutive documents become the turns of a conversation of 1 to <see cref="MaxExchanges"/> user/assistant
/// exchanges, half of them opened by a system turn (also a document), and half of the answers open by quoting the
/// first line of their request ("&gt; line"), so the model also learns to carry words over from a request into its
/// answer. Each turn is rendered exactly as <see cref="BaseModelBuilder.ChatTemplate"/> renders a message.
/// Deterministic for a seed.
/// </summary>
public static class ChatFrames
{
    public const int MaxExchanges = 3;

    /// <summary>The documents in order, every one used once, as ChatML conversations, one string each.</summary>
    public static IEnumerable<string> Render(IReadOnlyList<CorpusDocument> documents, int seed)
    {
        var random = new Random(seed);
        var next = 0;
        while (next < documents.Count)
        {
            var text = new StringBuilder();
            if (random.Next(2) == 0 && next + 1 < documents.Count) Turn(text, "system", documents[next++].Text);
            var exchanges = random.Next(1, MaxExchanges + 1);
            for (var e = 0; e < exchanges && next < documents.Count; e++)
            {
                var request = documents[next++].Text;
                Turn(text, "user", request);
                if (next == documents.Count) break;
                var answer = documents[next++].Text;
                Turn(text, "assistant", random.Next(2) == 0 ? answer : Quote(request) + answer);
            }
            yield return text.ToString();
        }
    }

    // The request's first line as a "> " quote line, as a reply opens by quoting what it answers.
    private static string Quote(string request)
    {
        var end = request.IndexOf('\n');
        return "> " + (end < 0 ? request : request[..end]) + "\n";
    }

    private static void Turn(StringBuilder text, string role, string content) =>
        text.Append(BaseModelBuilder.ImStart).Append(role).Append('\n').Append(content).Append(BaseModelBuilder.ImEnd).Append('\n');
}
