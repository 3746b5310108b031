using System.Text.Json;
using ContinualTrainer.Engine.IO;

namespace ContinualTrainer.Engine.Model;

/// <summary>
/// A Hugging Face checkpoint directory opened for reading: <c>config.json</c> plus either
/// <c>model.safetensors</c> or the sharded form (<c>model.safetensors.index.json</c> and its shards).
/// <see cref="Open"/> checks that every tensor the config requires (<see cref="ExpectedTensors"/>) exists
/// with the right shape and a float dtype, and that nothing unexpected is there (a tied <c>lm_head.weight</c>
/// and stored <c>rotary_emb.inv_freq</c> buffers are tolerated and ignored), so the model code can read
/// weights without further checks.
/// </summary>
public sealed class HfCheckpoint : IDisposable
{
    public const string ConfigFileName = "config.json";
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>An index maps tensor names to shard names; far smaller than this in practice.</summary>
    private const long MaxIndexBytes = 64 << 20;

    private static readonly JsonDocumentOptions IndexJsonOptions = new() { AllowDuplicateProperties = false, MaxDepth = 16 };

    private readonly SafeTensorsFile[] files;
    private readonly Dictionary<string, SafeTensorsFile> owners;

    private HfCheckpoint(ModelConfig config, string directory, SafeTensorsFile[] files, Dictionary<string, SafeTensorsFile> owners)
    {
        Config = config;
        Directory = directory;
        this.files = files;
        this.owners = owners;
    }

    public ModelConfig Config { get; }

    /// <summary>Full path of the checkpoint directory.</summary>
    public string Directory { get; }

    /// <summary>Every tensor in the checkpoint, including an ignored tied <c>lm_head.weight</c>.</summary>
    public IReadOnlyCollection<string> TensorNames => owners.Keys;

    public static HfCheckpoint Open(string directory)
    {
        var dir = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: checkpoint directory not found");
        var config = ModelConfigLoader.Load(Path.Combine(dir, ConfigFileName));

        var opened = new List<SafeTensorsFile>();
        try
        {
            var owners = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
            var single = Path.Combine(dir, SingleFileName);
            var index = Path.Combine(dir, IndexFileName);
            if (File.Exists(single))
            {
                var file = SafeTensorsFile.Open(single);
                opened.Add(file);
                foreach (var name in file.Tensors.Keys) owners.Add(name, file);
            }
            else if (File.Exists(index))
            {
                var weightMap = ReadWeightMap(index);
                var shards = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
                foreach (var (tensor, shard) in weightMap)
                {
                    if (!shards.TryGetValue(shard, out var file))
                    {
                        var shardPath = Path.Combine(dir, shard);
                        if (!File.Exists(shardPath))
                            throw new HfCheckpointException(index, $"tensor '{tensor}' is mapped to shard '{shard}', which does not exist");
                        file = SafeTensorsFile.Open(shardPath);
                        opened.Add(file);
                        shards.Add(shard, file);
                    }
                    if (!file.Tensors.ContainsKey(tensor))
                        throw new HfCheckpointException(index, $"tensor '{tensor}' is mapped to shard '{shard}', which does not hold it");
                    owners.Add(tensor, file);
                }
            }
            else
            {
                throw new HfCheckpointException(dir, $"neither {SingleFileName} nor {IndexFileName} exists");
            }
            Validate(config, dir, owners);
            return new HfCheckpoint(config, dir, [.. opened], owners);
        }
        catch
        {
            foreach (var file in opened) file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Every tensor a model with <paramref name="c"/> needs, with its shape, in Hugging Face names and layout
    /// (projection weights are (out, in)).
    /// </summary>
    public static IReadOnlyList<(string Name, long[] Shape)> ExpectedTensors(ModelConfig c)
    {
        long vocab = c.VocabSize, hidden = c.HiddenSize, inner = c.IntermediateSize;
        long q = c.QDim, kv = c.KvDim, hd = c.HeadDim;
        var list = new List<(string, long[])> { ("model.embed_tokens.weight", [vocab, hidden]) };
        for (var i = 0; i < c.NumLayers; i++)
        {
            var p = $"model.layers.{i}.";
            list.Add((p + "input_layernorm.weight", [hidden]));
            list.Add((p + "self_attn.q_proj.weight", [q, hidden]));
            if (c.AttentionBias) list.Add((p + "self_attn.q_proj.bias", [q]));
            list.Add((p + "self_attn.k_proj.weight", [kv, hidden]));
            if (c.AttentionBias) list.Add((p + "self_attn.k_proj.bias", [kv]));
            list.Add((p + "self_attn.v_proj.weight", [kv, hidden]));
            if (c.AttentionBias) list.Add((p + "self_attn.v_proj.bias", [kv]));
            list.Add((p + "self_attn.o_proj.weight", [hidden, q]));
            if (c.OutputBias) list.Add((p + "self_attn.o_proj.bias", [hidden]));
            if (c.QkNorm)
            {
                list.Add((p + "self_attn.q_norm.weight", [hd]));
                list.Add((p + "self_attn.k_norm.weight", [hd]));
            }
            list.Add((p + "post_attention_layernorm.weight", [hidden]));
            list.Add((p + "mlp.gate_proj.weight", [inner, hidden]));
            list.Add((p + "mlp.up_proj.weight", [inner, hidden]));
            list.Add((p + "mlp.down_proj.weight", [hidden, inner]));
        }
        list.Add(("model.norm.weight", [hidden]));
        if (!c.TieWordEmbeddings) list.Add(("lm_head.weight", [vocab, hidden]));
        return list;
    }

    public bool Contains(string name) => owners.ContainsKey(name);

    /// <summary>Entry (dtype, shape, offsets) of a tensor in its file.</summary>
    public SafeTensorInfo GetInfo(string name) => Owner(name).GetInfo(name);

    /// <summary>A copy of the tensor's shape.</summary>
    public long[] Shape(string name) => (long[])GetInfo(name).Shape.Clone();

    /// <summary>The tensor converted to float32 (from F32, BF16 or F16).</summary>
    public float[] ReadFloat32(string name) => Owner(name).ReadFloat32(name);

    /// <summary>The tensor converted to float32 into <paramref name="dst"/>, whose length must equal the element count.</summary>
    public void ReadFloat32(string name, Span<float> dst) => Owner(name).ReadFloat32(name, dst);

    public void Dispose()
    {
        foreach (var file in files) file.Dispose();
    }

    private SafeTensorsFile Owner(string name) =>
        owners.TryGetValue(name, out var file)
            ? file
            : throw new KeyNotFoundException($"{Directory}: checkpoint has no tensor named '{name}'");

    /// <summary>Reads <c>weight_map</c> (tensor → shard file name) from an index, refusing shard names that leave the directory.</summary>
    private static List<(string Tensor, string Shard)> ReadWeightMap(string indexPath)
    {
        var length = new FileInfo(indexPath).Length;
        if (length > MaxIndexBytes)
            throw new HfCheckpointException(indexPath, $"file is {length} bytes, more than the {MaxIndexBytes}-byte limit for an index");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(indexPath), IndexJsonOptions);
        }
        catch (JsonException ex)
        {
            throw new HfCheckpointException(indexPath, $"not valid JSON ({ex.Message})");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object)
                throw new HfCheckpointException(indexPath, "has no \"weight_map\" object");
            var entries = new List<(string, string)>();
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new HfCheckpointException(indexPath, $"weight_map entry '{entry.Name}' is a JSON {entry.Value.ValueKind}, expected a shard file name");
                var shard = entry.Value.GetString()!;
                if (!IsPlainFileName(shard))
                    throw new HfCheckpointException(indexPath,
                        $"weight_map entry '{entry.Name}' names shard '{shard}', which is not a plain file name inside the checkpoint directory");
                entries.Add((entry.Name, shard));
            }
            return entries;
        }
    }

    private static bool IsPlainFileName(string name) =>
        name.Length > 0
        && name is not ("." or "..")
        && name.IndexOfAny(['/', '\\', '\0']) < 0
        && !Path.IsPathRooted(name);

    private static void Validate(ModelConfig config, string dir, Dictionary<string, SafeTensorsFile> owners)
    {
        var expected = ExpectedTensors(config);
        var expectedNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, shape) in expected)
        {
            expectedNames.Add(name);
            if (!owners.TryGetValue(name, out var file))
                throw new HfCheckpointException(dir, $"tensor '{name}' is missing (expected shape {SafeTensorInfo.FormatShape(shape)})");
            var info = file.Tensors[name];
            if (!info.Shape.AsSpan().SequenceEqual(shape))
                throw new HfCheckpointException(file.Path,
                    $"tensor '{name}' has shape {SafeTensorInfo.FormatShape(info.Shape)}, expected {SafeTensorInfo.FormatShape(shape)}");
            if (info.DType is not (SafeTensorDType.F32 or SafeTensorDType.BF16 or SafeTensorDType.F16))
                throw new HfCheckpointException(file.Path, $"tensor '{name}' has dtype {info.DType.HeaderName()}; weights must be F32, BF16 or F16");
        }
        foreach (var name in owners.Keys)
        {
            if (expectedNames.Contains(name) || IsIgnorable(name, config)) continue;
            throw new HfCheckpointException(owners[name].Path,
                $"tensor '{name}' is not part of a {config.Architecture} model with this {ConfigFileName}");
        }
    }

    /// <summary>A tied model's redundant lm_head copy, and RoPE inverse frequencies older exports stored.</summary>
    private static bool IsIgnorable(string name, ModelConfig config) =>
        (config.TieWordEmbeddings && name == "lm_head.weight")
        || name.EndsWith(".self_attn.rotary_emb.inv_freq", StringComparison.Ordinal);
}
