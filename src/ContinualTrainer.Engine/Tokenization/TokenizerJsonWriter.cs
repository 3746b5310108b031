using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// Writes a <see cref="TrainedBpe"/> as Hugging Face tokenizer files: <c>tokenizer.json</c> (BPE model with byte
/// tokens, merges as pairs, the special tokens as added tokens; no normalizer, so decoding gives back the exact
/// bytes; the pre-tokenizer <see cref="BpeTrainer"/> trained with: Split on <see cref="BpeTrainer.SplitPattern"/>,
/// then ByteLevel; ByteLevel decoder) and <c>tokenizer_config.json</c>. Both load with <see cref="BpeTokenizer"/>
/// and with Hugging Face tokenizers. Each file is flushed to disk.
/// </summary>
public static class TokenizerJsonWriter
{
    public const string TokenizerFileName = "tokenizer.json";
    public const string ConfigFileName = "tokenizer_config.json";

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <c>tokenizer.json</c> and <c>tokenizer_config.json</c> into <paramref name="directory"/> (which must exist).</summary>
    public static void Write(string directory, TrainedBpe bpe, TokenizerConfigSettings config)
    {
        ArgumentNullException.ThrowIfNull(bpe);
        ArgumentNullException.ThrowIfNull(config);
        foreach (var (key, token) in new[] { ("bos_token", config.BosToken), ("eos_token", config.EosToken), ("pad_token", config.PadToken) })
        {
            if (token is not null && !IsSpecial(bpe, token))
                throw new ArgumentException($"{key} '{token}' is not one of the vocabulary's special tokens", nameof(config));
        }
        WriteFile(Path.Combine(directory, TokenizerFileName), writer => WriteTokenizer(writer, bpe));
        WriteFile(Path.Combine(directory, ConfigFileName), writer => WriteConfig(writer, bpe, config));
    }

    private static bool IsSpecial(TrainedBpe bpe, string token)
    {
        for (var id = bpe.FirstSpecialId; id < bpe.VocabSize; id++)
            if (bpe.Tokens[id] == token) return true;
        return false;
    }

    private static void WriteFile(string path, Action<Utf8JsonWriter> write)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using (var writer = new Utf8JsonWriter(stream, WriterOptions)) write(writer);
        stream.WriteByte((byte)'\n');
        stream.Flush(flushToDisk: true);
    }

    private static void WriteTokenizer(Utf8JsonWriter w, TrainedBpe bpe)
    {
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");
        w.WriteStartArray("added_tokens");
        for (var id = bpe.FirstSpecialId; id < bpe.VocabSize; id++)
        {
            w.WriteStartObject();
            w.WriteNumber("id", id);
            w.WriteString("content", bpe.Tokens[id]);
            WriteAddedTokenFlags(w);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNull("normalizer");

        w.WriteStartObject("pre_tokenizer");
        w.WriteString("type", "Sequence");
        w.WriteStartArray("pretokenizers");
        w.WriteStartObject();
        w.WriteString("type", "Split");
        w.WriteStartObject("pattern");
        w.WriteString("Regex", BpeTrainer.SplitPattern);
        w.WriteEndObject();
        w.WriteString("behavior", "Isolated");
        w.WriteBoolean("invert", false);
        w.WriteEndObject();
        WriteByteLevel(w, null);
        w.WriteEndArray();
        w.WriteEndObject();
        WriteByteLevel(w, "post_processor");
        WriteByteLevel(w, "decoder");

        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        w.WriteNull("unk_token");
        w.WriteString("continuing_subword_prefix", "");
        w.WriteString("end_of_word_suffix", "");
        w.WriteBoolean("fuse_unk", false);
        w.WriteBoolean("byte_fallback", false);
        w.WriteBoolean("ignore_merges", false);
        w.WriteStartObject("vocab");
        for (var id = 0; id < bpe.FirstSpecialId; id++) w.WriteNumber(bpe.Tokens[id], id);
        w.WriteEndObject();
        w.WriteStartArray("merges");
        foreach (var merge in bpe.Merges)
        {
            w.WriteStartArray();
            w.WriteStringValue(bpe.Tokens[merge.Left]);
            w.WriteStringValue(bpe.Tokens[merge.Right]);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter w, string? name)
    {
        if (name is null) w.WriteStartObject();
        else w.WriteStartObject(name);
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", false);
        w.WriteBoolean("use_regex", false);
        w.WriteEndObject();
    }

    private static void WriteAddedTokenFlags(Utf8JsonWriter w)
    {
        w.WriteBoolean("single_word", false);
        w.WriteBoolean("lstrip", false);
        w.WriteBoolean("rstrip", false);
        w.WriteBoolean("normalized", false);
        w.WriteBoolean("special", true);
    }

    private static void WriteConfig(Utf8JsonWriter w, TrainedBpe bpe, TokenizerConfigSettings config)
    {
        w.WriteStartObject();
        w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
        w.WriteNumber("model_max_length", config.ModelMaxLength);
        WriteOptional(w, "bos_token", config.BosToken);
        WriteOptional(w, "eos_token", config.EosToken);
        WriteOptional(w, "pad_token", config.PadToken);
        w.WriteNull("unk_token");
        w.WriteBoolean("clean_up_tokenization_spaces", false);
        w.WriteStartObject("added_tokens_decoder");
        for (var id = bpe.FirstSpecialId; id < bpe.VocabSize; id++)
        {
            w.WriteStartObject(id.ToString(CultureInfo.InvariantCulture));
            w.WriteString("content", bpe.Tokens[id]);
            WriteAddedTokenFlags(w);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        WriteOptional(w, "chat_template", config.ChatTemplate);
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }
}
