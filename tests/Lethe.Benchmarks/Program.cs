using System.Globalization;
using System.Text;
using Lethe.Benchmarks;

// ./lethe bench: timed harnesses that write their figures to bench/results/. Never run as tests.
var root = args.Length > 0 ? args[0] : Directory.GetCurrentDirectory();
// `./lethe bench erasure` runs only the erasure benchmark (it takes minutes; the others take seconds).
var only = args.Length > 1 ? args[1] : null;
if (only == ExportBenchmark.ChildCommand)
{
    // The packaging child of the export benchmark: its peak RSS is the packager's alone.
    return await ExportBenchmark.PackAsync(long.Parse(args[2], CultureInfo.InvariantCulture), args[3]);
}

if (args.Length > 2 && only is not ("ingest" or "erasure"))
{
    // Only the sized benchmarks take --items: anything else after the name would be silently ignored.
    Console.Error.WriteLine($"usage: ./lethe bench [NAME] [--items N]: --items is for ingest and erasure only; '{string.Join(' ', args[2..])}' is not understood.");
    return 2;
}

if (only == "export")
{
    Console.WriteLine("Export: packaging ~200 MB and ~2 GB into a file sink, then ~200 MB through the local cloud ...");
    await WriteAsync("export.md", await ExportBenchmark.RunAsync(root));
    return 0;
}

if (only == "api")
{
    Console.WriteLine($"API under load: {ApiLoadBenchmark.Clients} concurrent readers and writers against raw GetItem and PutItem ...");
    await WriteAsync("api.md", await ApiLoadBenchmark.RunAsync(root));
    return 0;
}

if (only == "retention")
{
    Console.WriteLine($"Retention sweep: {RetentionBenchmark.Due:N0} due items out of {RetentionBenchmark.Items:N0}, against a raw loop (seeding takes a few minutes) ...");
    await WriteAsync("retention.md", await RetentionBenchmark.RunAsync(root));
    return 0;
}

if (only == "ingest")
{
    // --items N (API.md) runs another size; only the default size writes the reported figures (ingest.md).
    if (ItemsOption("ingest", IngestBenchmark.DefaultTranscripts) is not { } transcripts)
    {
        return 2;
    }

    Console.WriteLine($"Ingest: {transcripts:N0} transcripts through the pipeline, against a raw put loop (several minutes) ...");
    await WriteAsync(transcripts == IngestBenchmark.DefaultTranscripts ? "ingest.md" : $"ingest-{transcripts}.md", await IngestBenchmark.RunAsync(root, transcripts));
    return 0;
}

if (only == "field-encryption")
{
    // In process, one thread: no local cloud, no published binaries.
    await WriteAsync("field-encryption.md", FieldEncryptionBenchmark.Run());
    return 0;
}

if (only == "erasure-1m")
{
    Console.WriteLine("Erasure of 100,000 and 1,000,000 items, simulated: the real step classes over in-memory ports ...");
    var results = new List<ErasureSimulation.Result>();
    foreach (var size in new[] { 100_000, 1_000_000 })
    {
        results.Add(await ErasureSimulation.RunAsync(size, CancellationToken.None));
        Console.WriteLine($"  {size:N0} items simulated in {results[^1].Elapsed.TotalSeconds:0} s");
    }

    await WriteAsync("erasure-1m.md", ErasureSimulation.Report(results));
    return 0;
}

if (only == "erasure")
{
    // --items N (API.md) runs another size; only the default size writes the reported figures (erasure.md).
    if (ItemsOption("erasure", ErasureBenchmark.Items) is not { } items)
    {
        return 2;
    }

    Console.WriteLine($"Erasure: 2 × {items:N0} items on the local cloud (seeding takes a while) ...");
    await WriteAsync(items == ErasureBenchmark.Items ? "erasure.md" : $"erasure-{items}.md", await ErasureBenchmark.RunAsync(root, items, items / 10));
    return 0;
}
var aot = Path.Combine(root, "artifacts", "lambda", "functions", "bootstrap");
var jit = Path.Combine(root, "artifacts", "lambda", "functions-jit", "bootstrap.dll");
foreach (var required in new[] { aot, jit })
{
    if (!File.Exists(required))
    {
        Console.Error.WriteLine($"lethe bench: {required} is missing (./lethe bench publishes it first).");
        return 1;
    }
}

const int runs = 10;
Console.WriteLine($"Lambda init: {runs} cold starts each of the AOT and JIT builds of handler 'ping' ...");
var aotSamples = await LambdaInitBenchmark.MeasureAsync(aot, [], "ping", runs);
var jitSamples = await LambdaInitBenchmark.MeasureAsync("dotnet", [jit], "ping", runs);

string Row(string name, IReadOnlyList<LambdaInitBenchmark.Sample> samples) => string.Format(
    CultureInfo.InvariantCulture, "| {0} | {1:0.0} | {2:0.0} | {3:0.0} | {4:0.0} |", name,
    LambdaInitBenchmark.Median(samples.Select(s => s.Init.TotalMilliseconds)), samples.Max(s => s.Init.TotalMilliseconds),
    LambdaInitBenchmark.Median(samples.Select(s => s.FirstResponse.TotalMilliseconds)), samples.Max(s => s.FirstResponse.TotalMilliseconds));

var aotSize = new FileInfo(aot).Length / 1024.0 / 1024.0;
var report = new StringBuilder()
    .AppendLine("# Lambda cold start: Native AOT vs JIT (handler `ping`)")
    .AppendLine()
    .AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores; {runs} runs each after one warm-up run.")
    .AppendLine("Init = process start → first Runtime API `next`; first response = process start → first invocation answered.")
    .AppendLine()
    .AppendLine("| build | init median ms | init max ms | first response median ms | first response max ms |")
    .AppendLine("|---|---|---|---|---|")
    .AppendLine(Row("Native AOT", aotSamples))
    .AppendLine(Row("JIT (dotnet bootstrap.dll)", jitSamples))
    .AppendLine()
    .AppendLine(CultureInfo.InvariantCulture, $"AOT binary size: {aotSize:0.0} MB (stripped).")
    .ToString();
await WriteAsync("lambda-init.md", report);
await WriteAsync("field-encryption.md", FieldEncryptionBenchmark.Run());
await WriteAsync("record-read.md", await RecordReadBenchmark.RunAsync(root));
await WriteAsync("api.md", await ApiLoadBenchmark.RunAsync(root));
Console.WriteLine("Export: packaging ~200 MB and ~2 GB into a file sink, then ~200 MB through the local cloud ...");
await WriteAsync("export.md", await ExportBenchmark.RunAsync(root));
Console.WriteLine($"Erasure: 2 × {ErasureBenchmark.Items:N0} items on the local cloud (seeding takes a while) ...");
await WriteAsync("erasure.md", await ErasureBenchmark.RunAsync(root));
return 0;

// --items N for a sized benchmark (N ≥ 20); null after printing the usage when the arguments are not that.
int? ItemsOption(string name, int fallback)
{
    if (args.Length == 2)
    {
        return fallback;
    }

    if (args.Length == 4 && args[2] == "--items" && int.TryParse(args[3], NumberStyles.None, CultureInfo.InvariantCulture, out var items) && items >= 20)
    {
        return items;
    }

    Console.Error.WriteLine($"usage: ./lethe bench {name} [--items N]   (N ≥ 20, default {fallback:N0})");
    return null;
}

async Task WriteAsync(string name, string content)
{
    Directory.CreateDirectory(Path.Combine(root, "bench", "results"));
    var file = Path.Combine(root, "bench", "results", name);
    await File.WriteAllTextAsync(file, content);
    Console.WriteLine(content);
    Console.WriteLine($"Written to {file}");
}
