using System.Security.Cryptography;
using System.Text;
using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Tests.Ingestion;

public sealed class CanonicalJsonTests
{
    private static readonly CanonicalMessage[] Messages =
    [
        new(MessageRole.System, "Be brief."),
        new(MessageRole.User, "Grüße \"quoted\"\nnew line") { Timestamp = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)) },
        new(MessageRole.Assistant, "") { Thinking = "hmm", ToolCalls = [new ToolCall("c1", "ls", """{"path":"/"}""")] },
        new(MessageRole.Tool, "a b") { ToolCallId = "c1" },
    ];

    private const string Expected =
        """[{"role":"system","text":"Be brief."},{"role":"user","text":"Grüße \"quoted\"\nnew line","timestamp":"2025-01-02T03:04:05.0000000+02:00"},{"role":"assistant","text":"","thinking":"hmm","tool_calls":[{"id":"c1","name":"ls","arguments":"{\"path\":\"/\"}"}]},{"role":"tool","text":"a b","tool_call_id":"c1"}]""";

    [Fact]
    public void Serializes_messages_compactly_with_fixed_key_order()
    {
        Assert.Equal(Expected, Encoding.UTF8.GetString(CanonicalJson.SerializeMessages(Messages)));
    }

    [Fact]
    public void Content_hash_is_the_sha256_hex_of_the_canonical_json()
    {
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Expected)));
        var conversation = new CanonicalConversation("k", null, ConversationCategory.Transcript, "f", 1, 1, Messages);

        Assert.Equal(expected, conversation.ContentHash);
    }

    [Fact]
    public void Content_hash_changes_when_any_message_field_changes()
    {
        var baseline = CanonicalJson.ContentHash(Messages);
        CanonicalMessage[][] variants =
        [
            [.. Messages[..3], Messages[3] with { ToolCallId = "c2" }],
            [.. Messages[..2], Messages[2] with { Thinking = null }, Messages[3]],
            [.. Messages[..2], Messages[2] with { ToolCalls = [new ToolCall("c1", "ls", "{}")] }, Messages[3]],
            [Messages[0], Messages[1] with { Timestamp = null }, .. Messages[2..]],
            [Messages[0] with { Role = MessageRole.User }, .. Messages[1..]],
        ];

        Assert.All(variants, v => Assert.NotEqual(baseline, CanonicalJson.ContentHash(v)));
    }

    [Fact]
    public void Deserializing_gives_back_the_same_messages()
    {
        var back = CanonicalJson.DeserializeMessages(Encoding.UTF8.GetBytes(Expected));

        Assert.Equal(Messages, back);
    }

    [Theory]
    [InlineData("""{"role":"user","text":"x"}""", "expected an array")]
    [InlineData("""[{"role":"robot","text":"x"}]""", "messages[0]: unknown role 'robot'")]
    [InlineData("""[{"role":"user"}]""", "messages[0]: missing 'text'")]
    [InlineData("""[{"role":"user","text":"x","timestamp":"noon"}]""", "messages[0].timestamp: 'noon' is not a round-trip timestamp")]
    [InlineData("""[{"role":"user","text":""", "invalid JSON")]
    [InlineData("""[{"role":"user","text":"\udc00"}]""", "invalid string")]
    public void Deserializing_rejects_what_is_not_canonical_messages_json(string json, string reason)
    {
        var error = Assert.Throws<FormatException>(() => CanonicalJson.DeserializeMessages(Encoding.UTF8.GetBytes(json)));

        Assert.Contains(reason, error.Message);
    }

    [Theory]
    [InlineData("agent-log", ConversationCategory.AgentLog)]
    [InlineData("transcript", ConversationCategory.Transcript)]
    public void Category_names_round_trip(string name, ConversationCategory category)
    {
        Assert.Equal(category, ConversationCategoryNames.Parse(name));
        Assert.Equal(name, category.ToName());
    }

    [Fact]
    public void Unknown_category_name_is_rejected_with_the_valid_names()
    {
        var error = Assert.Throws<ArgumentException>(() => ConversationCategoryNames.Parse("AgentLog"));

        Assert.Contains("'agent-log' or 'transcript'", error.Message);
    }
}
