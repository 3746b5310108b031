using System.Globalization;
using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Demo;

/// <summary>
/// The narrow task of the forgetting demonstration: transcripts of "Desk", an operations agent that answers
/// ticket, stock and weather requests with one record in a rigid house format. Everything a record says follows
/// from the request (copied fields, a fixed lookup such as device → queue or item → SKU, a keyword such as
/// "urgent" → priority), so a model can learn the task; the format is far from general text, so learning it too
/// eagerly displaces what the model knew. Deterministic: the same seed gives the same conversations.
/// </summary>
public static class SyntheticTasks
{
    public const string SystemPrompt =
        "You are Desk, the operations agent of Northwind Hardware. Answer each request with one record in the house format.";

    /// <summary>Requests (user turn + record) per conversation: 1 to this many.</summary>
    public const int MaxExchanges = 3;

    private static readonly string[] FirstNames =
        ["Dana", "Omar", "Lena", "Marco", "Priya", "Tom", "Sara", "Ivan", "Grace", "Kenji", "Nora", "Felix", "Maya", "Paul", "Rosa", "Ahmed"];

    private static readonly string[] LastNames =
        ["Okafor", "Berg", "Novak", "Silva", "Shah", "Reed", "Moreau", "Petrov", "Hall", "Tanaka", "Quinn", "Wolf", "Cruz", "Meyer", "Lopez", "Khan"];

    private static readonly (string Device, string Problem, string Queue)[] Faults =
    [
        ("printer", "is jammed", "facilities"),
        ("projector", "shows no picture", "facilities"),
        ("monitor", "keeps flickering", "facilities"),
        ("laptop", "will not start", "it support"),
        ("email client", "keeps crashing", "it support"),
        ("network", "is down", "it support"),
        ("badge reader", "rejects every card", "security"),
        ("door lock", "is stuck", "security"),
    ];

    private static readonly (string Phrase, string Priority)[] Urgency =
        [("", "normal"), (" It is urgent.", "high"), (" No rush.", "low")];

    private static readonly (string Item, string Sku)[] Items =
    [
        ("hammers", "HW-101"), ("screwdrivers", "HW-102"), ("drills", "PT-210"), ("saws", "PT-220"), ("ladders", "AC-330"),
        ("paint rollers", "PA-410"), ("garden hoses", "GA-520"), ("light bulbs", "EL-610"), ("extension cords", "EL-620"), ("toolboxes", "AC-340"),
    ];

    private static readonly string[] Warehouses = ["north", "south", "east", "west", "central"];

    private static readonly string[] Cities = ["Leeds", "Bristol", "York", "Bath", "Derby", "Hull", "Oxford", "Cardiff"];

    private static readonly string[] Days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

    private static readonly (string Conditions, string Advice)[] Weather =
    [
        ("light rain", "put out the umbrella stand"), ("heavy rain", "put out the umbrella stand"),
        ("sunny", "open the garden centre"), ("clear skies", "open the garden centre"),
        ("snow", "grit the car park"), ("fog", "no action"), ("cloudy", "no action"),
    ];

    /// <summary><paramref name="count"/> conversations, each a system prompt then 1 to <see cref="MaxExchanges"/> requests and records.</summary>
    public static IReadOnlyList<CanonicalConversation> Generate(int seed, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var conversations = new List<CanonicalConversation>(count);
        for (var i = 0; i < count; i++)
        {
            var messages = new List<CanonicalMessage> { new(MessageRole.System, SystemPrompt) };
            var exchanges = random.Next(1, MaxExchanges + 1);
            for (var e = 0; e < exchanges; e++)
            {
                var (request, record) = random.Next(3) switch
                {
                    0 => Ticket(random),
                    1 => Stock(random),
                    _ => Forecast(random),
                };
                messages.Add(new CanonicalMessage(MessageRole.User, request));
                messages.Add(new CanonicalMessage(MessageRole.Assistant, record));
            }
            var key = string.Create(CultureInfo.InvariantCulture, $"demo-{seed}-{i:D4}");
            conversations.Add(new CanonicalConversation(key, null, ConversationCategory.Transcript, "synthetic", i + 1, i + 1, messages));
        }
        return conversations;
    }

    private static (string Request, string Record) Ticket(Random random)
    {
        var id = random.Next(1000, 10000);
        var (first, last) = (Pick(random, FirstNames), Pick(random, LastNames));
        var (device, problem, queue) = Pick(random, Faults);
        var floor = random.Next(1, 10);
        var (phrase, priority) = Pick(random, Urgency);
        return (
            Invariant($"Ticket {id}: {first} {last} reports that the {device} on floor {floor} {problem}.{phrase}"),
            Invariant($"TICKET {id}\nrequester: {first} {last}\ndevice: {device}\nlocation: floor {floor}\npriority: {priority}\nqueue: {queue}\nreply: Thanks {first}, ticket {id} is with {queue}."));
    }

    private static (string Request, string Record) Stock(Random random)
    {
        var (item, sku) = Pick(random, Items);
        var warehouse = Pick(random, Warehouses);
        var level = 10 * random.Next(2, 10);
        var units = random.Next(0, 2 * level);
        var low = units < level;
        return (
            Invariant($"Stock check for {item} in the {warehouse} warehouse: {units} units left, reorder level {level}."),
            Invariant($"STOCK {sku}\nitem: {item}\nwarehouse: {warehouse}\nunits: {units}\nreorder level: {level}\nstatus: {(low ? "low" : "ok")}\naction: {(low ? "order more" : "none")}"));
    }

    private static (string Request, string Record) Forecast(Random random)
    {
        var city = Pick(random, Cities);
        var day = Pick(random, Days);
        var (conditions, advice) = Pick(random, Weather);
        var temperature = random.Next(-5, 31);
        var wind = 5 * random.Next(1, 11);
        return (
            Invariant($"Weather for the {city} store on {day}? The feed says {temperature} C, {conditions}, wind {wind} km/h."),
            Invariant($"WEATHER {city.ToUpperInvariant()}\nday: {day}\ntemperature: {temperature} C\nconditions: {conditions}\nwind: {wind} km/h\nadvice: {advice}"));
    }

    private static T Pick<T>(Random random, T[] values) => values[random.Next(values.Length)];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
