using System.Globalization;
using ContinualTrainer.State;
using Microsoft.Data.Sqlite;

namespace ContinualTrainer.Dataset;

/// <summary>
/// Reads the example cache: tokenizer fingerprints (<c>dataset_fingerprints</c>) and the examples stored for
/// them (<c>dataset_examples</c>). <see cref="ExampleDeriver"/> writes them.
/// </summary>
public sealed class ExampleStore(StateDatabase database)
{
    private const string ExampleColumns =
        "id, conversation_id, turn_index, tokens, decision_start, decision_length, truncated, decision_text, category, session_id, source_file, retired_seq IS NOT NULL";

    /// <summary>The examples with these ids (those that exist), by id.</summary>
    public async Task<IReadOnlyDictionary<long, StoredExample>> ReadAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        var examples = new Dictionary<long, StoredExample>(ids.Count);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {ExampleColumns} FROM dataset_examples WHERE id = $id";
        var id = command.Parameters.Add("$id", SqliteType.Integer);
        foreach (var wanted in ids.Distinct())
        {
            id.Value = wanted;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken)) examples[wanted] = ReadExample(reader);
        }
        return examples;
    }

    /// <summary>The id of a fingerprint's row, or null when no examples were ever derived for it.</summary>
    internal static async Task<long?> FindFingerprintAsync(SqliteConnection connection, SqliteTransaction? transaction, string fingerprint, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT id FROM dataset_fingerprints WHERE fingerprint = $fingerprint";
        command.Parameters.AddWithValue("$fingerprint", fingerprint);
        return await command.ExecuteScalarAsync(cancellationToken) is { } value ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : null;
    }

    private static StoredExample ReadExample(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetInt64(1),
        reader.GetInt32(2),
        TokenBlob.FromBytes((byte[])reader.GetValue(3)),
        reader.GetInt32(4),
        reader.GetInt32(5),
        reader.GetBoolean(6),
        reader.GetString(7),
        reader.GetString(8),
        reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.GetString(10),
        reader.GetBoolean(11));
}
