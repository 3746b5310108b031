using System.Text.Json;
using System.Text.Json.Nodes;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Lora;

/// <summary>
/// LoRA adapters in the layout Hugging Face PEFT saves and loads: a directory with <c>adapter_model.safetensors</c>
/// (keys <c>base_model.model.&lt;module&gt;.lora_A.weight</c> (r, in) and <c>.lora_B.weight</c> (out, r), F32) and
/// <c>adapter_config.json</c> (<c>peft_type</c> LORA, <c>r</c>, <c>lora_alpha</c>, <c>target_modules</c>,
/// <c>use_rslora</c>, <c>lora_dropout</c>, <c>bias</c> none, <c>task_type</c> CAUSAL_LM).
/// </summary>
public static unsafe class PeftAdapter
{
    public const string WeightsFile = "adapter_model.safetensors";
    public const string ConfigFile = "adapter_config.json";
    public const string KeyPrefix = "base_model.model.";

    /// <summary>Real adapter configs are a few hundred bytes; anything this large is not one.</summary>
    private const long MaxConfigBytes = 1 << 20;

    /// <summary>Writes <paramref name="adapters"/> into <paramref name="directory"/> (created if needed), each file atomically.</summary>
    public static void Save(LoraAdapters adapters, string directory)
    {
        Directory.CreateDirectory(directory);
        var tensors = adapters.Modules.SelectMany(m => new[] { m.A, m.B })
            .Select(v => new SafeTensorToWrite(KeyPrefix + v.Name, SafeTensorDType.F32, [.. v.Shape], new NativeFloatMemory(v.Data, checked((int)v.Length)).Memory));
        SafeTensorsWriter.Write(Path.Combine(directory, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });

        var config = adapters.Config;
        var json = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["r"] = config.Rank,
            ["lora_alpha"] = config.Alpha,
            ["target_modules"] = new JsonArray([.. config.TargetModules.Select(n => JsonValue.Create(n))]),
            ["use_rslora"] = config.UseRsLora,
            ["lora_dropout"] = config.Dropout,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
        };
        var path = Path.Combine(directory, ConfigFile);
        var temp = path + ".tmp";
        File.WriteAllText(temp, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Reads the adapter in <paramref name="directory"/> for a model of <paramref name="model"/>'s shape. Refuses, with a
    /// <see cref="PeftAdapterException"/> naming the file and key, a config it does not implement, a missing or extra
    /// tensor, or a tensor whose shape does not fit the model.
    /// </summary>
    public static LoraAdapters Load(string directory, ModelConfig model)
    {
        var config = ReadConfig(Path.GetFullPath(Path.Combine(directory, ConfigFile)));
        var weightsPath = Path.GetFullPath(Path.Combine(directory, WeightsFile));
        if (!File.Exists(weightsPath)) throw new PeftAdapterException(weightsPath, "adapter weights not found");
        var adapters = new LoraAdapters(model, config);
        try
        {
            using var file = SafeTensorsFile.Open(weightsPath);
            var expected = new HashSet<string>(StringComparer.Ordinal);
            foreach (var view in adapters.Modules.SelectMany(m => new[] { m.A, m.B }))
            {
                var key = KeyPrefix + view.Name;
                expected.Add(key);
                if (!file.Tensors.TryGetValue(key, out var info))
                    throw new PeftAdapterException(weightsPath, $"tensor '{key}' is missing (adapter_config.json targets {string.Join(", ", config.TargetModules)} on {model.NumLayers} layers)");
                if (!info.Shape.SequenceEqual(view.Shape))
                    throw new PeftAdapterException(weightsPath, $"tensor '{key}' has shape {SafeTensorInfo.FormatShape(info.Shape)}, the model needs {SafeTensorInfo.FormatShape([.. view.Shape])}");
                file.ReadFloat32(key, view.Span);
            }
            var extra = file.Tensors.Keys.Where(k => !expected.Contains(k)).Order(StringComparer.Ordinal).FirstOrDefault();
            if (extra is not null) throw new PeftAdapterException(weightsPath, $"tensor '{extra}' belongs to no module of this model and configuration");
            return adapters;
        }
        catch
        {
            adapters.Dispose();
            throw;
        }
    }

    private static LoraConfig ReadConfig(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new PeftAdapterException(path, "adapter config not found");
        if (info.Length > MaxConfigBytes) throw new PeftAdapterException(path, $"file is {info.Length} bytes, more than the {MaxConfigBytes}-byte limit for an adapter config");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new PeftAdapterException(path, $"not valid JSON ({e.Message})");
        }
        if (root is not JsonObject o) throw new PeftAdapterException(path, "the top level is not a JSON object");

        if (o["peft_type"] is { } type && !string.Equals(Text(path, o, "peft_type"), "LORA", StringComparison.OrdinalIgnoreCase))
            throw new PeftAdapterException(path, $"peft_type is {type.ToJsonString()}; only LORA adapters are supported");
        if (o["bias"] is { } bias && Text(path, o, "bias") != "none")
            throw new PeftAdapterException(path, $"bias is {bias.ToJsonString()}; only adapters without trained biases (\"none\") are supported");
        if (o["fan_in_fan_out"] is { } fan && fan.GetValueKind() == JsonValueKind.True)
            throw new PeftAdapterException(path, "fan_in_fan_out is true; only (out, in) weights are supported");
        var r = Number(path, o, "r", required: true)!.Value;
        if (r != Math.Floor(r) || r < 1 || r > int.MaxValue) throw new PeftAdapterException(path, $"r is {r}, expected a positive integer");
        var alpha = Number(path, o, "lora_alpha", required: true)!.Value;
        var dropout = Number(path, o, "lora_dropout", required: false) ?? 0;
        var rsLora = o["use_rslora"] is { } rs && rs.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new PeftAdapterException(path, $"use_rslora is {rs.ToJsonString()}, expected true or false"),
        };
        if (o["target_modules"] is not JsonArray modules || modules.Count == 0)
            throw new PeftAdapterException(path, "target_modules must be a non-empty list of module names");
        LoraTargets targets;
        try
        {
            // names may carry a path ("self_attn.q_proj"); the last part names the projection
            targets = LoraConfig.ParseTargets(modules.Select(m => m?.GetValueKind() == JsonValueKind.String
                ? m.GetValue<string>().Split('.')[^1]
                : throw new PeftAdapterException(path, $"target_modules holds {m?.ToJsonString() ?? "null"}, expected module names")));
        }
        catch (ArgumentException e)
        {
            throw new PeftAdapterException(path, "target_modules: " + e.Message);
        }
        var config = new LoraConfig((int)r, alpha, targets, rsLora, dropout);
        try
        {
            config.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new PeftAdapterException(path, e.Message.Split(Environment.NewLine)[0]);
        }
        return config;
    }

    private static string Text(string path, JsonObject o, string key) =>
        o[key]?.GetValueKind() == JsonValueKind.String ? o[key]!.GetValue<string>() : throw new PeftAdapterException(path, $"{key} must be a string");

    private static double? Number(string path, JsonObject o, string key, bool required)
    {
        var node = o[key];
        if (node is null) return required ? throw new PeftAdapterException(path, $"{key} is missing") : null;
        if (node.GetValueKind() != JsonValueKind.Number) throw new PeftAdapterException(path, $"{key} is {node.ToJsonString()}, expected a number");
        return node.GetValue<double>();
    }
}
