using System.Globalization;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;
using Microsoft.Data.Sqlite;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// The ingestion tables' SQL on one open connection (and, for writes, the transaction of
/// <see cref="State.StateDatabase.InTransactionAsync{T}"/>), with typed rows in and out. Commands are prepared
/// once per session and reused, so a pass that stores thousands of conversations parses its SQL once.
/// </summary>
internal sealed class StoreSession(SqliteConnection connection, SqliteTransaction? transaction) : IAsyncDisposable
{
    private const string FileColumns =
        "id, path, source_name, category, format, device, inode, size, mtime_ns, read_offset, next_line, head_sha256, content_sha256, "
        + "state, reason, duplicate_of, lines_skipped, conversations, passes, first_seen_utc, last_ingested_utc, state_changed_utc";

    private const string ConversationColumns =
        "id, seq, revision, category, conversation_key, session_id, source_file_id, source_file, format, first_line, last_line, "
        + "message_count, content_sha256, canonical_json, created_utc, updated_utc";

    private readonly Dictionary<string, SqliteCommand> commands = new(StringComparer.Ordinal);

    public async Task<SourceFileRecord?> ReadFileAsync(string path, CancellationToken cancellationToken)
    {
        var command = Command($"SELECT {FileColumns} FROM source_files WHERE path = $path");
        command.Parameters["$path"].Value = path;
        return await ReadFileRowAsync(command, cancellationToken);
    }

    public async Task<SourceFileRecord?> ReadFileAsync(long id, CancellationToken cancellationToken)
    {
        var command = Command($"SELECT {FileColumns} FROM source_files WHERE id = $id");
        command.Parameters["$id"].Value = id;
        return await ReadFileRowAsync(command, cancellationToken);
    }

    /// <summary>Rows recorded for the inode <paramref name="stat"/> names, other than the one at <paramref name="exceptPath"/>.</summary>
    public async Task<IReadOnlyList<SourceFileRecord>> FindByInodeAsync(FileStat stat, string exceptPath, CancellationToken cancellationToken)
    {
        var command = Command($"SELECT {FileColumns} FROM source_files WHERE device = $device AND inode = $inode AND path <> $path ORDER BY id");
        command.Parameters["$device"].Value = stat.Device;
        command.Parameters["$inode"].Value = stat.Inode;
        command.Parameters["$path"].Value = exceptPath;
        return await ReadFileRowsAsync(command, cancellationToken);
    }

    /// <summary>A complete (or archived) file of <paramref name="category"/> whose whole content has <paramref name="contentSha256"/>.</summary>
    public async Task<SourceFileRecord?> FindCompleteCopyAsync(ConversationCategory category, string contentSha256, long size, CancellationToken cancellationToken)
    {
        var command = Command(
            $"SELECT {FileColumns} FROM source_files WHERE content_sha256 = $hash AND read_offset = $size AND category = $category "
            + "AND state IN ('complete', 'archived') ORDER BY id LIMIT 1");
        command.Parameters["$hash"].Value = contentSha256;
        command.Parameters["$size"].Value = size;
        command.Parameters["$category"].Value = category.ToName();
        return await ReadFileRowAsync(command, cancellationToken);
    }

    /// <summary>Every row that still describes a file in a watched folder (not archived), for a rescan.</summary>
    public async Task<IReadOnlyList<SourceFileRecord>> ReadWatchedFilesAsync(CancellationToken cancellationToken)
    {
        var command = Command($"SELECT {FileColumns} FROM source_files WHERE state <> 'archived'");
        return await ReadFileRowsAsync(command, cancellationToken);
    }

    public async Task<bool> PathIsRecordedAsync(string path, CancellationToken cancellationToken)
    {
        var command = Command("SELECT count(*) FROM source_files WHERE path = $path");
        command.Parameters["$path"].Value = path;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) > 0;
    }

    public async Task<bool> SourceNameIsUsedAsync(string sourceName, CancellationToken cancellationToken)
    {
        var command = Command("SELECT count(*) FROM source_files WHERE source_name = $name");
        command.Parameters["$name"].Value = sourceName;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Inserts a row for a file seen for the first time and returns its id.</summary>
    public async Task<long> InsertFileAsync(string path, string sourceName, ConversationCategory category, FileStat stat, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var command = Command(
            "INSERT INTO source_files(path, source_name, category, device, inode, size, mtime_ns, read_offset, next_line, head_sha256, "
            + "content_sha256, state, first_seen_utc, state_changed_utc) "
            + "VALUES ($path, $name, $category, $device, $inode, $size, $mtime, 0, 1, $empty, $empty, 'active', $now, $now) RETURNING id");
        command.Parameters["$path"].Value = path;
        command.Parameters["$name"].Value = sourceName;
        command.Parameters["$category"].Value = category.ToName();
        command.Parameters["$device"].Value = stat.Device;
        command.Parameters["$inode"].Value = stat.Inode;
        command.Parameters["$size"].Value = stat.Size;
        command.Parameters["$mtime"].Value = stat.MtimeNs;
        command.Parameters["$empty"].Value = Hashes.EmptySha256;
        command.Parameters["$now"].Value = Utc(now);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>Writes a file's new state; <see cref="SourceFileRecord.Passes"/> is stored as given (the caller counts the pass).</summary>
    public async Task UpdateFileAsync(SourceFileRecord file, CancellationToken cancellationToken)
    {
        var command = Command(
            "UPDATE source_files SET path = $path, category = $category, format = $format, device = $device, inode = $inode, size = $size, "
            + "mtime_ns = $mtime, read_offset = $offset, next_line = $line, head_sha256 = $head, content_sha256 = $content, state = $state, "
            + "reason = $reason, duplicate_of = $duplicate, lines_skipped = $skipped, conversations = $conversations, passes = $passes, "
            + "last_ingested_utc = $ingested, state_changed_utc = $changed WHERE id = $id");
        var p = command.Parameters;
        p["$id"].Value = file.Id;
        p["$path"].Value = file.Path;
        p["$category"].Value = file.Category.ToName();
        p["$format"].Value = file.Format is { } format ? format.ToName() : DBNull.Value;
        p["$device"].Value = file.Stat.Device;
        p["$inode"].Value = file.Stat.Inode;
        p["$size"].Value = file.Stat.Size;
        p["$mtime"].Value = file.Stat.MtimeNs;
        p["$offset"].Value = file.ReadOffset;
        p["$line"].Value = file.NextLine;
        p["$head"].Value = file.HeadSha256;
        p["$content"].Value = file.ContentSha256;
        p["$state"].Value = file.State.ToName();
        p["$reason"].Value = (object?)file.Reason ?? DBNull.Value;
        p["$duplicate"].Value = (object?)file.DuplicateOf ?? DBNull.Value;
        p["$skipped"].Value = file.LinesSkipped;
        p["$conversations"].Value = file.Conversations;
        p["$passes"].Value = file.Passes;
        p["$ingested"].Value = file.LastIngestedUtc is { } ingested ? Utc(ingested) : DBNull.Value;
        p["$changed"].Value = Utc(file.StateChangedUtc);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task DeleteSkippedLinesAsync(long fileId, CancellationToken cancellationToken)
    {
        var command = Command("DELETE FROM skipped_lines WHERE source_file_id = $id");
        command.Parameters["$id"].Value = fileId;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task InsertSkippedLineAsync(long fileId, SkippedLine skipped, CancellationToken cancellationToken)
    {
        var command = Command("INSERT OR IGNORE INTO skipped_lines(source_file_id, line, reason) VALUES ($id, $line, $reason)");
        command.Parameters["$id"].Value = fileId;
        command.Parameters["$line"].Value = skipped.LineNumber;
        command.Parameters["$reason"].Value = skipped.Reason;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The recorded skipped lines of a file, in line order.</summary>
    public async Task<IReadOnlyList<SkippedLine>> ReadSkippedLinesAsync(long fileId, CancellationToken cancellationToken)
    {
        var command = Command("SELECT line, reason FROM skipped_lines WHERE source_file_id = $id ORDER BY line");
        command.Parameters["$id"].Value = fileId;
        var lines = new List<SkippedLine>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) lines.Add(new SkippedLine(reader.GetInt64(0), reader.GetString(1)));
        return lines;
    }

    /// <summary>Takes the next value of the store-wide conversation sequence.</summary>
    public async Task<long> NextSeqAsync(CancellationToken cancellationToken)
    {
        var command = Command("UPDATE ingest_sequence SET value = value + 1 WHERE id = 1 RETURNING value");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public async Task<long> CurrentSeqAsync(CancellationToken cancellationToken)
    {
        var command = Command("SELECT value FROM ingest_sequence WHERE id = 1");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public async Task<StoredConversation?> ReadConversationAsync(ConversationCategory category, string key, CancellationToken cancellationToken)
    {
        var command = Command($"SELECT {ConversationColumns} FROM conversations WHERE category = $category AND conversation_key = $key");
        command.Parameters["$category"].Value = category.ToName();
        command.Parameters["$key"].Value = key;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadConversation(reader) : null;
    }

    /// <summary>Id, content hash and revision of a stored conversation, without its messages.</summary>
    public async Task<(long Id, string ContentSha256, int Revision)?> ReadConversationHeadAsync(ConversationCategory category, string key, CancellationToken cancellationToken)
    {
        var command = Command("SELECT id, content_sha256, revision FROM conversations WHERE category = $category AND conversation_key = $key");
        command.Parameters["$category"].Value = category.ToName();
        command.Parameters["$key"].Value = key;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2)) : null;
    }

    /// <summary>Conversations with <c>seq &gt; afterSeq</c>, oldest change first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<StoredConversation>> ReadChangedSinceAsync(long afterSeq, int limit, CancellationToken cancellationToken)
    {
        var command = Command($"SELECT {ConversationColumns} FROM conversations WHERE seq > $after ORDER BY seq LIMIT $limit");
        command.Parameters["$after"].Value = afterSeq;
        command.Parameters["$limit"].Value = limit;
        var list = new List<StoredConversation>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) list.Add(ReadConversation(reader));
        return list;
    }

    public async Task InsertConversationAsync(
        CanonicalConversation conversation, ConversationFormat format, byte[] json, string contentSha256, long fileId, long seq, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var command = Command(
            "INSERT INTO conversations(category, conversation_key, session_id, source_file_id, source_file, format, first_line, last_line, "
            + "message_count, content_sha256, canonical_json, seq, revision, created_utc, updated_utc) "
            + "VALUES ($category, $key, $session, $file, $name, $format, $first, $last, $count, $hash, $json, $seq, 1, $now, $now)");
        var p = command.Parameters;
        p["$category"].Value = conversation.Category.ToName();
        p["$key"].Value = conversation.ConversationKey;
        p["$session"].Value = (object?)conversation.SessionId ?? DBNull.Value;
        p["$file"].Value = fileId;
        p["$name"].Value = conversation.SourceFile;
        p["$format"].Value = format.ToName();
        p["$first"].Value = conversation.FirstLine;
        p["$last"].Value = conversation.LastLine;
        p["$count"].Value = conversation.Messages.Count;
        p["$hash"].Value = contentSha256;
        p["$json"].Value = json;
        p["$seq"].Value = seq;
        p["$now"].Value = Utc(now);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task UpdateConversationAsync(
        long id, CanonicalConversation conversation, ConversationFormat format, byte[] json, string contentSha256, long seq, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var command = Command(
            "UPDATE conversations SET session_id = $session, format = $format, first_line = $first, last_line = $last, message_count = $count, "
            + "content_sha256 = $hash, canonical_json = $json, seq = $seq, revision = revision + 1, updated_utc = $now WHERE id = $id");
        var p = command.Parameters;
        p["$id"].Value = id;
        p["$session"].Value = (object?)conversation.SessionId ?? DBNull.Value;
        p["$format"].Value = format.ToName();
        p["$first"].Value = conversation.FirstLine;
        p["$last"].Value = conversation.LastLine;
        p["$count"].Value = conversation.Messages.Count;
        p["$hash"].Value = contentSha256;
        p["$json"].Value = json;
        p["$seq"].Value = seq;
        p["$now"].Value = Utc(now);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records an agent-log event as stored in its session; false when it already was (a re-read or a copy).</summary>
    public async Task<bool> InsertEventKeyAsync(ConversationCategory category, string sessionKey, string eventKey, CancellationToken cancellationToken)
    {
        var command = Command("INSERT OR IGNORE INTO agent_log_events(category, session_key, event_key) VALUES ($category, $session, $event)");
        command.Parameters["$category"].Value = category.ToName();
        command.Parameters["$session"].Value = sessionKey;
        command.Parameters["$event"].Value = eventKey;
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> HasTableAsync(string table, CancellationToken cancellationToken)
    {
        var command = Command("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name");
        command.Parameters["$name"].Value = table;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Runs a <c>SELECT name, count(*) ... GROUP BY name</c> query.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountGroupsAsync(string sql, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await Command(sql).ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) counts[reader.GetString(0)] = reader.GetInt64(1);
        return counts;
    }

    public async Task<long> SumLinesSkippedAsync(CancellationToken cancellationToken) =>
        Convert.ToInt64(await Command("SELECT coalesce(sum(lines_skipped), 0) FROM source_files").ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);

    /// <summary>The files content was most recently taken from, newest first.</summary>
    public async Task<IReadOnlyList<IngestedFile>> ReadLastTakenAsync(int limit, CancellationToken cancellationToken)
    {
        var command = Command(
            "SELECT path, category, format, state, conversations, lines_skipped, last_ingested_utc FROM source_files "
            + "WHERE last_ingested_utc IS NOT NULL ORDER BY last_ingested_utc DESC, id DESC LIMIT $limit");
        command.Parameters["$limit"].Value = limit;
        var files = new List<IngestedFile>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            files.Add(new IngestedFile(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                reader.GetInt64(4), reader.GetInt64(5), reader.GetString(6)));
        }
        return files;
    }

    /// <summary>Quarantined files, most recently quarantined first.</summary>
    public async Task<IReadOnlyList<QuarantinedFile>> ReadQuarantinedAsync(int limit, CancellationToken cancellationToken)
    {
        var command = Command(
            "SELECT path, coalesce(reason, ''), state_changed_utc FROM source_files WHERE state = 'quarantined' ORDER BY state_changed_utc DESC, id DESC LIMIT $limit");
        command.Parameters["$limit"].Value = limit;
        var files = new List<QuarantinedFile>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) files.Add(new QuarantinedFile(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        return files;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in commands.Values) await command.DisposeAsync();
        commands.Clear();
    }

    /// <summary>Formats an instant the way the state database stores them (round-trip, UTC).</summary>
    public static string Utc(DateTimeOffset instant) => instant.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseUtc(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private SqliteCommand Command(string sql)
    {
        if (commands.TryGetValue(sql, out var existing)) return existing;
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in ParameterNames(sql)) command.Parameters.Add(new SqliteParameter(name, null));
        commands.Add(sql, command);
        return command;
    }

    private static IEnumerable<string> ParameterNames(string sql)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = sql.IndexOf('$'); i >= 0; i = sql.IndexOf('$', i + 1))
        {
            var end = i + 1;
            while (end < sql.Length && (char.IsAsciiLetterOrDigit(sql[end]) || sql[end] == '_')) end++;
            if (names.Add(sql[i..end])) yield return sql[i..end];
        }
    }

    private static async Task<SourceFileRecord?> ReadFileRowAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadFile(reader) : null;
    }

    private static async Task<IReadOnlyList<SourceFileRecord>> ReadFileRowsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<SourceFileRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) rows.Add(ReadFile(reader));
        return rows;
    }

    private static SourceFileRecord ReadFile(SqliteDataReader r) => new(
        Id: r.GetInt64(0),
        Path: r.GetString(1),
        SourceName: r.GetString(2),
        Category: ConversationCategoryNames.Parse(r.GetString(3)),
        Format: r.IsDBNull(4) ? null : ConversationFormatNames.Parse(r.GetString(4)),
        Stat: new FileStat(r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), IsRegularFile: true),
        ReadOffset: r.GetInt64(9),
        NextLine: r.GetInt64(10),
        HeadSha256: r.GetString(11),
        ContentSha256: r.GetString(12),
        State: SourceFileStateNames.Parse(r.GetString(13)),
        Reason: r.IsDBNull(14) ? null : r.GetString(14),
        DuplicateOf: r.IsDBNull(15) ? null : r.GetInt64(15),
        LinesSkipped: r.GetInt64(16),
        Conversations: r.GetInt64(17),
        Passes: r.GetInt64(18),
        FirstSeenUtc: ParseUtc(r.GetString(19)),
        LastIngestedUtc: r.IsDBNull(20) ? null : ParseUtc(r.GetString(20)),
        StateChangedUtc: ParseUtc(r.GetString(21)));

    private static StoredConversation ReadConversation(SqliteDataReader r) => new(
        Id: r.GetInt64(0),
        Seq: r.GetInt64(1),
        Revision: r.GetInt32(2),
        Category: ConversationCategoryNames.Parse(r.GetString(3)),
        ConversationKey: r.GetString(4),
        SessionId: r.IsDBNull(5) ? null : r.GetString(5),
        SourceFileId: r.GetInt64(6),
        SourceFile: r.GetString(7),
        Format: ConversationFormatNames.Parse(r.GetString(8)),
        FirstLine: r.GetInt64(9),
        LastLine: r.GetInt64(10),
        MessageCount: r.GetInt32(11),
        ContentSha256: r.GetString(12),
        MessagesJson: (byte[])r.GetValue(13),
        CreatedUtc: ParseUtc(r.GetString(14)),
        UpdatedUtc: ParseUtc(r.GetString(15)));
}
