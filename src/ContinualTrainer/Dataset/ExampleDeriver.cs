using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset.Diversity;
using ContinualTrainer.Ingestion;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Store;
using ContinualTrainer.State;
using Microsoft.Data.Sqlite;

namespace ContinualTrainer.Dataset;

/// <summary>
/// Keeps the example cache of a tokenizer fingerprint up to date with the conversation store, incrementally:
/// conversations whose seq is above the fingerprint's watermark are derived in batches, each batch committed in
/// one transaction together with the new watermark, so every change of a conversation is derived exactly once.
/// </summary>
/// <remarks>
/// <para>A changed conversation replaces its examples: those it still gives keep their ids (an agent log that grew
/// keeps its earlier examples), those it no longer gives are deleted, or retired when a snapshot refers to them.</para>
/// <para>Duplicates: two examples are duplicates when their context and decision tokens are identical (same
/// <see cref="DerivedExample.ContentHash"/>) — the same conversation stored twice, or a shared opening exchange.
/// Only the first is stored, per fingerprint; the others are counted in <c>dataset_conversations.duplicates</c>.</para>
/// </remarks>
public sealed class ExampleDeriver(StateDatabase database, DatasetOptions options) : IExampleDeriver
{
    /// <summary>Conversations derived per transaction.</summary>
    public const int BatchSize = 64;

    private readonly ConversationStore conversations = new(database);
    private readonly Lock gate = new();
    private (string Directory, string Stamp, TokenizerProfile Profile)? cached;

    public async Task<int> DeriveAsync(string modelDirectory, CancellationToken cancellationToken) =>
        (await DeriveAsync(Profile(modelDirectory), cancellationToken)).ExamplesAdded;

    /// <summary>The profile of a model directory, loaded again only when its tokenizer files changed.</summary>
    public TokenizerProfile Profile(string modelDirectory)
    {
        var directory = Path.GetFullPath(modelDirectory);
        var stamp = Stamp(directory);
        lock (gate)
        {
            if (cached is { } hit && hit.Directory == directory && hit.Stamp == stamp) return hit.Profile;
        }
        var profile = TokenizerProfile.Load(directory, options);
        lock (gate) cached = (directory, stamp, profile);
        return profile;
    }

    public async Task<DerivationReport> DeriveAsync(TokenizerProfile profile, CancellationToken cancellationToken)
    {
        var fingerprintId = await RegisterAsync(profile, cancellationToken);
        var report = new DerivationReport(0, 0, 0, 0, 0, 0, 0, 0);
        while (true)
        {
            var watermark = await ReadWatermarkAsync(fingerprintId, cancellationToken);
            var batch = await conversations.ReadChangedSinceAsync(watermark, BatchSize, cancellationToken);
            if (batch.Count == 0) return report with { Watermark = watermark };
            var prepared = batch.Select(c => Prepare(profile, c)).ToList();
            var written = await database.InTransactionAsync(async (connection, transaction, ct) =>
            {
                // Another process derived this batch meanwhile: start again from its watermark.
                if (await ReadWatermarkAsync(connection, transaction, fingerprintId, ct) != watermark) return null;
                var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
                var counts = new DerivationReport(0, 0, 0, 0, 0, 0, 0, batch[^1].Seq);
                foreach (var conversation in prepared) counts = counts.Add(await WriteAsync(connection, transaction, fingerprintId, conversation, now, ct));
                await using var update = connection.CreateCommand();
                update.Transaction = transaction;
                update.CommandText = "UPDATE dataset_fingerprints SET watermark_seq = $seq, derived_utc = $now WHERE id = $id";
                update.Parameters.AddWithValue("$seq", batch[^1].Seq);
                update.Parameters.AddWithValue("$now", now);
                update.Parameters.AddWithValue("$id", fingerprintId);
                await update.ExecuteNonQueryAsync(ct);
                return counts;
            }, cancellationToken);
            if (written is not null) report = report.Add(written);
        }
    }

    /// <summary>The fingerprint's row id, inserting the row on first use.</summary>
    public Task<long> RegisterAsync(TokenizerProfile profile, CancellationToken cancellationToken) =>
        database.InTransactionAsync(async (connection, transaction, ct) =>
        {
            if (await ExampleStore.FindFingerprintAsync(connection, transaction, profile.Fingerprint, ct) is { } id) return id;
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO dataset_fingerprints(fingerprint, chat_format, description, created_utc) VALUES ($fingerprint, $format, $description, $now);
                SELECT last_insert_rowid();
                """;
            insert.Parameters.AddWithValue("$fingerprint", profile.Fingerprint);
            insert.Parameters.AddWithValue("$format", Rendering.ChatFormatNames.ToName(profile.Renderer.Format));
            insert.Parameters.AddWithValue("$description", profile.Description);
            insert.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            return Convert.ToInt64(await insert.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        }, cancellationToken);

    private sealed record PreparedExample(DerivedExample Example, byte[] MinHash, string DecisionSha256);

    private sealed record PreparedConversation(StoredConversation Conversation, IReadOnlyList<PreparedExample> Examples, ExtractionResult? Result);

    private static PreparedConversation Prepare(TokenizerProfile profile, StoredConversation conversation)
    {
        IReadOnlyList<CanonicalMessage> messages;
        try
        {
            messages = conversation.ReadMessages();
        }
        catch (FormatException)
        {
            return new PreparedConversation(conversation, [], null);
        }
        var result = profile.Extractor.Extract(messages);
        var examples = result.Examples
            .Select(e => new PreparedExample(e, MinHash.ToBytes(MinHash.Signature(e.DecisionText)),
                Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(e.DecisionText)))))
            .ToList();
        return new PreparedConversation(conversation, examples, result);
    }

    private static async Task<DerivationReport> WriteAsync(
        SqliteConnection connection, SqliteTransaction transaction, long fingerprintId, PreparedConversation prepared, string now,
        CancellationToken cancellationToken)
    {
        var conversation = prepared.Conversation;
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;

        // What the conversation gave before: kept when given again, otherwise deleted (or retired when a snapshot refers to it).
        command.CommandText = "SELECT content_sha256, id FROM dataset_examples WHERE fingerprint_id = $f AND conversation_id = $c AND retired_seq IS NULL";
        command.Parameters.AddWithValue("$f", fingerprintId);
        command.Parameters.AddWithValue("$c", conversation.Id);
        var existing = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) existing[reader.GetString(0)] = reader.GetInt64(1);
        }
        var wanted = prepared.Examples.Select(p => p.Example.ContentHash).ToHashSet(StringComparer.Ordinal);
        var removed = 0;
        foreach (var (hash, id) in existing)
        {
            if (wanted.Contains(hash)) continue;
            removed++;
            command.Parameters.Clear();
            command.CommandText = "DELETE FROM dataset_examples WHERE id = $id AND NOT EXISTS (SELECT 1 FROM dataset_snapshot_items WHERE example_id = $id)";
            command.Parameters.AddWithValue("$id", id);
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 1) continue;
            command.CommandText = "UPDATE dataset_examples SET retired_seq = $seq WHERE id = $id";
            command.Parameters.AddWithValue("$seq", conversation.Seq);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        int added = 0, duplicates = 0;
        foreach (var example in prepared.Examples)
        {
            var derived = example.Example;
            if (existing.ContainsKey(derived.ContentHash)) continue;
            command.Parameters.Clear();
            command.CommandText = "SELECT EXISTS (SELECT 1 FROM dataset_examples WHERE fingerprint_id = $f AND content_sha256 = $h AND retired_seq IS NULL)";
            command.Parameters.AddWithValue("$f", fingerprintId);
            command.Parameters.AddWithValue("$h", derived.ContentHash);
            if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 1)
            {
                duplicates++;
                continue;
            }
            command.CommandText = """
                INSERT INTO dataset_examples(fingerprint_id, conversation_id, turn_index, conversation_seq, tokens, decision_start, decision_length,
                    truncated, content_sha256, decision_sha256, decision_text, minhash, category, session_id, source_file_id, source_file, created_utc)
                VALUES ($f, $conversation, $turn, $seq, $tokens, $start, $length, $truncated, $h, $decision, $text, $minhash, $category, $session,
                    $fileId, $file, $now)
                """;
            command.Parameters.AddWithValue("$conversation", conversation.Id);
            command.Parameters.AddWithValue("$turn", derived.TurnIndex);
            command.Parameters.AddWithValue("$seq", conversation.Seq);
            command.Parameters.AddWithValue("$tokens", TokenBlob.ToBytes(derived.Tokens));
            command.Parameters.AddWithValue("$start", derived.DecisionStart);
            command.Parameters.AddWithValue("$length", derived.DecisionLength);
            command.Parameters.AddWithValue("$truncated", derived.Truncated ? 1 : 0);
            command.Parameters.AddWithValue("$decision", example.DecisionSha256);
            command.Parameters.AddWithValue("$text", derived.DecisionText);
            command.Parameters.AddWithValue("$minhash", example.MinHash);
            command.Parameters.AddWithValue("$category", conversation.Category.ToName());
            command.Parameters.AddWithValue("$session", (object?)conversation.SessionId ?? DBNull.Value);
            command.Parameters.AddWithValue("$fileId", conversation.SourceFileId);
            command.Parameters.AddWithValue("$file", conversation.SourceFile);
            command.Parameters.AddWithValue("$now", now);
            await command.ExecuteNonQueryAsync(cancellationToken);
            added++;
        }

        var result = prepared.Result;
        command.Parameters.Clear();
        command.CommandText = """
            INSERT INTO dataset_conversations(fingerprint_id, conversation_id, conversation_seq, decisions, examples, duplicates, too_short, truncated)
            VALUES ($f, $c, $seq, $decisions, $examples, $duplicates, $short, $truncated)
            ON CONFLICT(fingerprint_id, conversation_id) DO UPDATE SET conversation_seq = excluded.conversation_seq, decisions = excluded.decisions,
                examples = excluded.examples, duplicates = excluded.duplicates, too_short = excluded.too_short, truncated = excluded.truncated
            """;
        command.Parameters.AddWithValue("$f", fingerprintId);
        command.Parameters.AddWithValue("$c", conversation.Id);
        command.Parameters.AddWithValue("$seq", conversation.Seq);
        command.Parameters.AddWithValue("$decisions", result?.Decisions ?? 0);
        command.Parameters.AddWithValue("$examples", prepared.Examples.Count - duplicates);
        command.Parameters.AddWithValue("$duplicates", duplicates);
        command.Parameters.AddWithValue("$short", result?.TooShort ?? 0);
        command.Parameters.AddWithValue("$truncated", result?.Truncated ?? 0);
        await command.ExecuteNonQueryAsync(cancellationToken);

        return new DerivationReport(1, added, removed, duplicates, result?.TooShort ?? 0, result?.Truncated ?? 0, result is null ? 1 : 0, conversation.Seq);
    }

    private async Task<long> ReadWatermarkAsync(long fingerprintId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await ReadWatermarkAsync(connection, null, fingerprintId, cancellationToken);
    }

    private static async Task<long> ReadWatermarkAsync(SqliteConnection connection, SqliteTransaction? transaction, long fingerprintId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT watermark_seq FROM dataset_fingerprints WHERE id = $id";
        command.Parameters.AddWithValue("$id", fingerprintId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    // Size and modification time of the tokenizer files: a change loads the profile again.
    private static string Stamp(string directory) =>
        string.Join('|', new[] { "tokenizer.json", "tokenizer_config.json" }.Select(name =>
        {
            var file = new FileInfo(Path.Combine(directory, name));
            return file.Exists ? $"{file.Length}:{file.LastWriteTimeUtc.Ticks}" : "-";
        }));
}
