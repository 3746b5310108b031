using System.Text.Json;

namespace ContinualTrainer.Engine.Model;

/// <summary>
/// Reads a Hugging Face <c>config.json</c> for LlamaForCausalLM, Qwen2ForCausalLM or Qwen3ForCausalLM into a
/// <see cref="ModelConfig"/>, applying the transformers defaults for absent keys and refusing, with a
/// <see cref="ModelConfigException"/>, every setting the engine does not implement (other activations,
/// RoPE scaling, sliding-window attention, MLP bias, quantised weights) rather than silently computing a
/// different model.
/// </summary>
public static class ModelConfigLoader
{
    /// <summary>Real configs are a few kilobytes; anything this large is not one.</summary>
    private const long MaxConfigBytes = 16 << 20;

    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        AllowDuplicateProperties = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    public static ModelConfig Load(string configJsonPath)
    {
        var info = new FileInfo(configJsonPath);
        if (!info.Exists) throw new FileNotFoundException($"{configJsonPath}: model config not found", configJsonPath);
        if (info.Length > MaxConfigBytes)
            throw new ModelConfigException(configJsonPath, $"file is {info.Length} bytes, more than the {MaxConfigBytes}-byte limit for a config");
        return Parse(File.ReadAllText(configJsonPath), configJsonPath);
    }

    /// <param name="json">The config text.</param>
    /// <param name="sourceName">Names the config in error messages (usually its path).</param>
    public static ModelConfig Parse(string json, string sourceName)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new ModelConfigException(sourceName, $"not valid JSON ({ex.Message})");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelConfigException(sourceName, $"the top level is a JSON {document.RootElement.ValueKind}, expected an object");
            return new Reader(document.RootElement, sourceName).Read();
        }
    }

    /// <summary>Key-by-key reading of one config, with messages naming the key, value and what is allowed.</summary>
    private readonly struct Reader(JsonElement root, string source)
    {
        public ModelConfig Read()
        {
            var architecture = ReadArchitecture();
            RefuseUnsupportedFeatures(architecture);

            var vocab = RequiredPositiveInt("vocab_size");
            var hidden = RequiredPositiveInt("hidden_size");
            var intermediate = RequiredPositiveInt("intermediate_size");
            var layers = RequiredPositiveInt("num_hidden_layers");
            var heads = RequiredPositiveInt("num_attention_heads");
            var kvHeads = OptionalPositiveInt("num_key_value_heads") ?? heads;
            if (heads % kvHeads != 0)
                throw Fail("num_key_value_heads", $"must divide num_attention_heads = {heads}");
            var headDim = OptionalPositiveInt("head_dim") ?? DefaultHeadDim(hidden, heads);
            var attentionBias = OptionalBool("attention_bias") ?? false;

            return new ModelConfig
            {
                Architecture = architecture,
                VocabSize = vocab,
                HiddenSize = hidden,
                IntermediateSize = intermediate,
                NumLayers = layers,
                NumHeads = heads,
                NumKvHeads = kvHeads,
                HeadDim = headDim,
                RmsNormEps = ReadRmsNormEps(),
                RopeTheta = ReadRopeTheta(),
                TieWordEmbeddings = OptionalBool("tie_word_embeddings") ?? false,
                // HF Qwen2Attention hard-codes bias=True on q,k,v and none on o; Llama and Qwen3 follow attention_bias.
                AttentionBias = architecture == ModelArchitecture.Qwen2 || attentionBias,
                OutputBias = architecture != ModelArchitecture.Qwen2 && attentionBias,
                QkNorm = architecture == ModelArchitecture.Qwen3,
                MaxPositionEmbeddings = OptionalPositiveInt("max_position_embeddings")
                    ?? (architecture == ModelArchitecture.Llama ? 2048 : 32768),
                BosTokenId = OptionalTokenId("bos_token_id", vocab),
                EosTokenId = OptionalTokenId("eos_token_id", vocab),
            };
        }

        private ModelArchitecture ReadArchitecture()
        {
            if (!root.TryGetProperty("architectures", out var list)) throw Missing("architectures");
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() != 1 || list[0].ValueKind != JsonValueKind.String)
                throw Fail("architectures", "must be a list of one name: LlamaForCausalLM, Qwen2ForCausalLM or Qwen3ForCausalLM");
            var (architecture, modelType) = list[0].GetString() switch
            {
                "LlamaForCausalLM" => (ModelArchitecture.Llama, "llama"),
                "Qwen2ForCausalLM" => (ModelArchitecture.Qwen2, "qwen2"),
                "Qwen3ForCausalLM" => (ModelArchitecture.Qwen3, "qwen3"),
                _ => throw Fail("architectures", "is not supported; allowed: LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM"),
            };
            // transformers picks the model class from model_type, so a mismatch would build another model.
            if (Present("model_type", out var type) && (type.ValueKind != JsonValueKind.String || type.GetString() != modelType))
                throw Fail("model_type", $"does not match architectures; expected \"{modelType}\"");
            return architecture;
        }

        private void RefuseUnsupportedFeatures(ModelArchitecture architecture)
        {
            if (Present("hidden_act", out var act) && (act.ValueKind != JsonValueKind.String || act.GetString() != "silu"))
                throw Fail("hidden_act", "is not supported; only \"silu\" is");
            if (Present("rope_scaling", out _))
                throw Fail("rope_scaling", "is not supported; only plain RoPE (rope_scaling absent or null) is");
            if (Present("quantization_config", out _))
                throw Fail("quantization_config", "is not supported; only unquantised F32/BF16/F16 checkpoints are");
            if (architecture == ModelArchitecture.Llama && OptionalBool("mlp_bias") == true)
                throw Fail("mlp_bias", "is not supported; only false is");
            if (architecture != ModelArchitecture.Llama && OptionalBool("use_sliding_window") == true)
                throw Fail("use_sliding_window", "is not supported; only full attention (false) is");
            if (Present("layer_types", out var layerTypes))
            {
                if (layerTypes.ValueKind != JsonValueKind.Array
                    || layerTypes.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String || t.GetString() != "full_attention"))
                    throw Fail("layer_types", "is not supported; every layer must be \"full_attention\"");
            }
        }

        private float ReadRmsNormEps()
        {
            if (!Present("rms_norm_eps", out var value)) throw Missing("rms_norm_eps");
            var eps = value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) ? (float)d : float.NaN;
            if (!(eps > 0) || !float.IsFinite(eps))
                throw Fail("rms_norm_eps", "must be a positive float32 number");
            return eps;
        }

        /// <summary>rope_theta, or rope_parameters.rope_theta (transformers 5 layout); default 10000.</summary>
        private double ReadRopeTheta()
        {
            double? theta = Present("rope_theta", out var top) ? PositiveNumber("rope_theta", top) : null;
            if (Present("rope_parameters", out var parameters))
            {
                if (parameters.ValueKind != JsonValueKind.Object)
                    throw Fail("rope_parameters", "must be an object");
                foreach (var p in parameters.EnumerateObject())
                {
                    var key = "rope_parameters." + p.Name;
                    switch (p.Name)
                    {
                        case "rope_type" or "type":
                            if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString() != "default")
                                throw Fail(key, p.Value, "is not supported; only \"default\" RoPE is");
                            break;
                        case "rope_theta":
                            var nested = PositiveNumber(key, p.Value);
                            if (theta is { } t && t != nested)
                                throw Fail(key, p.Value, $"disagrees with rope_theta = {t}");
                            theta = nested;
                            break;
                        default:
                            throw Fail(key, p.Value, "is not supported; rope_parameters may hold only rope_type \"default\" and rope_theta");
                    }
                }
            }
            return theta ?? 10000.0;
        }

        private int DefaultHeadDim(int hidden, int heads)
        {
            if (hidden % heads != 0)
                throw Fail("hidden_size", $"is not divisible by num_attention_heads = {heads}, and head_dim is not given");
            return hidden / heads;
        }

        private int RequiredPositiveInt(string key) => OptionalPositiveInt(key) ?? throw Missing(key);

        /// <summary>Null when absent or JSON null; otherwise must be a positive integer that fits in int.</summary>
        private int? OptionalPositiveInt(string key)
        {
            if (!Present(key, out var value)) return null;
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n) || n <= 0)
                throw Fail(key, "must be a positive integer");
            return n;
        }

        private bool? OptionalBool(string key)
        {
            if (!Present(key, out var value)) return null;
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Fail(key, "must be true or false"),
            };
        }

        /// <summary>An id, a list of ids (the first is taken; empty means none), or null.</summary>
        private int? OptionalTokenId(string key, int vocab)
        {
            if (!Present(key, out var value)) return null;
            var first = value;
            if (value.ValueKind == JsonValueKind.Array)
            {
                if (value.GetArrayLength() == 0) return null;
                first = value[0];
            }
            if (first.ValueKind != JsonValueKind.Number || !first.TryGetInt32(out var id) || id < 0 || id >= vocab)
                throw Fail(key, $"must be a token id in [0, {vocab}), a list of them, or null");
            return id;
        }

        private double PositiveNumber(string key, JsonElement value)
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var x) || !(x > 0) || !double.IsFinite(x))
                throw Fail(key, value, "must be a positive number");
            return x;
        }

        /// <summary>True when the key is present with a non-null value.</summary>
        private bool Present(string key, out JsonElement value) =>
            root.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null;

        private ModelConfigException Missing(string key) =>
            new(source, $"required key '{key}' is missing");

        private ModelConfigException Fail(string key, string allowed) =>
            Fail(key, root.GetProperty(key), allowed);

        private ModelConfigException Fail(string key, JsonElement value, string allowed)
        {
            var raw = value.GetRawText().ReplaceLineEndings(" ");
            if (raw.Length > 80) raw = raw[..80] + "...";
            return new ModelConfigException(source, $"{key} = {raw} {allowed}");
        }
    }
}
