using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Tests.Optim;

/// <summary>
/// APOLLO written out with plain loops in double precision, straight from the algorithm (projection of the
/// smaller side, Adam moments on R, channel- or tensor-wise scaling, norm-growth limiter, α = sqrt(scale),
/// decay after the update), with PyTorch's AdamW for the parameters that are not projected. Only the random
/// projection is taken from <see cref="RandomProjection"/> (tested on its own).
/// </summary>
internal sealed unsafe class ApolloReference
{
    private readonly ApolloOptions options;
    private readonly List<Entry> entries = [];
    private long step;

    public ApolloReference(ApolloOptions options, IEnumerable<OptimizerParameter> parameters)
    {
        this.options = options;
        foreach (var p in parameters)
        {
            var projected = Apollo.IsProjected(p.Shape, p.Group);
            var stateLength = projected ? options.Rank * Math.Max(p.Shape[0], p.Shape[1]) : p.Length;
            entries.Add(new Entry(p.Name, [.. p.Shape], p.Group, projected,
                p.ValueSpan.ToArray().Select(v => (double)v).ToArray(), new double[stateLength], new double[stateLength]));
        }
    }

    public double[] Values(string name) => entries.Single(e => e.Name == name).W;

    /// <summary>One step with the gradients currently held by <paramref name="parameters"/>.</summary>
    public void Step(double lr, IEnumerable<OptimizerParameter> parameters)
    {
        step++;
        var grads = parameters.ToDictionary(p => p.Name, p => p.GradSpan.ToArray().Select(v => (double)v).ToArray());
        foreach (var e in entries)
        {
            if (e.Projected) StepProjected(e, grads[e.Name], lr);
            else StepAdamW(e, grads[e.Name], lr);
        }
    }

    private void StepAdamW(Entry e, double[] g, double lr)
    {
        double b1 = options.Beta1, b2 = options.Beta2;
        var bc1 = 1 - Math.Pow(b1, step);
        var bc2 = 1 - Math.Pow(b2, step);
        for (var i = 0; i < g.Length; i++)
        {
            e.W[i] *= 1 - lr * e.Group.WeightDecay;
            e.M[i] = b1 * e.M[i] + (1 - b1) * g[i];
            e.V[i] = b2 * e.V[i] + (1 - b2) * g[i] * g[i];
            e.W[i] -= lr / bc1 * e.M[i] / (Math.Sqrt(e.V[i]) / Math.Sqrt(bc2) + options.Epsilon);
        }
    }

    private void StepProjected(Entry e, double[] g, double lr)
    {
        int m = (int)e.Shape[0], n = (int)e.Shape[1], r = options.Rank;
        var tall = m >= n;
        int channels = Math.Max(m, n), side = Math.Min(m, n);
        if ((step - 1) % options.UpdateProjectionGap == 0)
        {
            e.Refresh = step == 1 ? 0 : e.Refresh + 1;
            var q = new float[r * side];
            fixed (float* pq = q) RandomProjection.Fill(pq, r, side, RandomProjection.Key(options.Seed, e.Name, e.Refresh));
            e.P = q.Select(v => (double)v).ToArray();
        }
        double G(int channel, int s) => tall ? g[channel * n + s] : g[s * n + channel];

        var rt = new double[channels];
        var rr = new double[channels];
        for (var i = 0; i < r; i++)
        {
            for (var c = 0; c < channels; c++)
            {
                double projected = 0;
                for (var s = 0; s < side; s++) projected += e.P![i * side + s] * G(c, s);
                var k = i * channels + c;
                e.M[k] = options.Beta1 * e.M[k] + (1 - options.Beta1) * projected;
                e.V[k] = options.Beta2 * e.V[k] + (1 - options.Beta2) * projected * projected;
                var normalized = e.M[k] / (Math.Sqrt(e.V[k]) + options.Epsilon);
                rt[c] += normalized * normalized;
                rr[c] += projected * projected;
            }
        }
        var scaling = new double[channels];
        if (options.Scaling == ApolloScaling.Channel)
        {
            for (var c = 0; c < channels; c++) scaling[c] = Math.Sqrt(rt[c]) / (Math.Sqrt(rr[c]) + 1e-8);
        }
        else
        {
            Array.Fill(scaling, Math.Sqrt(rt.Sum()) / (Math.Sqrt(rr.Sum()) + 1e-8));
        }

        var update = new double[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++) update[i * n + j] = g[i * n + j] * scaling[tall ? i : j];
        }
        var norm = Math.Sqrt(update.Sum(u => u * u));
        if (step > 1)
        {
            var limiter = Math.Max(norm / (e.LimiterNorm + 1e-8), options.LimiterGamma) / options.LimiterGamma;
            for (var i = 0; i < update.Length; i++) update[i] /= limiter;
            e.LimiterNorm = norm / limiter;
        }
        else
        {
            e.LimiterNorm = norm;
        }

        var stepSize = lr * Math.Sqrt(1 - Math.Pow(options.Beta2, step)) / (1 - Math.Pow(options.Beta1, step));
        for (var i = 0; i < update.Length; i++)
        {
            e.W[i] -= stepSize * Math.Sqrt(options.Scale) * update[i];
            e.W[i] -= lr * e.Group.WeightDecay * e.W[i];
        }
    }

    private sealed record Entry(string Name, long[] Shape, ParameterGroup Group, bool Projected, double[] W, double[] M, double[] V)
    {
        public double[]? P { get; set; }

        public long Refresh { get; set; }

        public double LimiterNorm { get; set; }
    }
}
