using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Jobs;
using Lethe.Aws.Keys;
using Lethe.Aws.Records;
using Lethe.Aws.StepFunctions;
using Lethe.Aws.Tenants;
using Lethe.Domain.Audit;
using Lethe.Domain.Crypto;
using Lethe.Domain.Exports;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;
using Lethe.LocalCloud;

namespace Lethe.Benchmarks;

/// <summary>
/// The export packager's memory and speed: about 200 MB and about 2 GB for one subject packaged into a file sink through the
/// same packager stream (each in its own process, so its peak RSS is its own), and about 200 MB end to end through the local
/// cloud (DynamoDB records decrypted, S3 files, the export workflow, an S3 multipart upload).
/// </summary>
public static class ExportBenchmark
{
    public const string ChildCommand = "export-pack";
    private const long MB = 1024 * 1024;
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>Every ZIP carries its report.pdf: the benchmark lays it out as Lethe does.</summary>
    private static readonly Lethe.Aws.Documents.PdfDocumentRenderer Reports = new();

    public static async Task<string> RunAsync(string root)
    {
        var small = await PackInChildAsync(200 * MB);
        var large = await PackInChildAsync(2048 * MB);
        var endToEnd = await EndToEndAsync(root, 200 * MB);
        var report = new StringBuilder()
            .AppendLine("# Export packaging: memory stays flat in the export size")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores.")
            .AppendLine("File sink: `ExportPackager` (format zip) in a process of its own, a synthetic subject (10% records in 4 categories, 90% files of 8 MB,")
            .AppendLine("incompressible), written through a non-seekable stream as into S3. Peak RSS is the process's VmHWM (runtime included).")
            .AppendLine()
            .AppendLine("| run | content MB | archive MB | seconds | MB/s | peak RSS MB |")
            .AppendLine("|---|---|---|---|---|---|")
            .AppendLine(Row("file sink, ~200 MB", small))
            .AppendLine(Row("file sink, ~2 GB", large))
            .AppendLine(Row("local cloud end to end, ~200 MB", endToEnd))
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"RSS ratio 2 GB / 200 MB (file sink): {large.PeakRssMb / small.PeakRssMb:0.00} (goal ≤ 1.2); peak RSS at 2 GB: {large.PeakRssMb:0} MB (goal < 200 MB).")
            .AppendLine("End to end: the benchmark process hosts the local cloud's gateway and every handler (moto runs apart and holds the upload in")
            .AppendLine("memory, about 5× its size); its time includes the workflow's steps, DynamoDB reads, KMS unwraps and the multipart upload.")
            .ToString();
        return report;
    }

    public sealed record Run(double ContentMb, double ArchiveMb, double Seconds, double PeakRssMb);

    private static string Row(string name, Run run) => string.Format(CultureInfo.InvariantCulture,
        "| {0} | {1:0} | {2:0} | {3:0.0} | {4:0.0} | {5:0} |", name, run.ContentMb, run.ArchiveMb, run.Seconds, run.ContentMb / run.Seconds, run.PeakRssMb);

    private static async Task<Run> PackInChildAsync(long bytes)
    {
        var file = Path.Combine(Path.GetTempPath(), $"lethe-export-bench-{Guid.NewGuid():N}.zip");
        try
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
            if (!Environment.ProcessPath!.EndsWith("Lethe.Benchmarks", StringComparison.Ordinal))
            {
                start.ArgumentList.Add(typeof(ExportBenchmark).Assembly.Location);
            }

            foreach (var argument in new[] { ".", ChildCommand, bytes.ToString(CultureInfo.InvariantCulture), file })
            {
                start.ArgumentList.Add(argument);
            }

            using var child = Process.Start(start)!;
            var output = await child.StandardOutput.ReadToEndAsync();
            await child.WaitForExitAsync();
            if (child.ExitCode != 0)
            {
                throw new InvalidOperationException($"The packaging child failed ({child.ExitCode}): {output}");
            }

            return JsonSerializer.Deserialize<Run>(output.Trim().Split('\n')[^1], Web)!;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The child: packages <paramref name="bytes"/> of synthetic content into <paramref name="file"/> and prints its figures.</summary>
    public static async Task<int> PackAsync(long bytes, string file)
    {
        var source = new SyntheticSource(bytes);
        var watch = Stopwatch.StartNew();
        ExportVolumeSummary summary;
        await using (var sink = new WriteOnly(new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true)))
        {
            summary = await ExportPackager.WriteAsync(ExportFormat.Zip, new ExportHeader("job_bench", new string('a', 64), DateTimeOffset.UtcNow), source, sink, Reports, CancellationToken.None);
        }

        var run = new Run(source.ContentBytes / (double)MB, summary.ArchiveBytes / (double)MB, watch.Elapsed.TotalSeconds, PeakRssMb());
        Console.WriteLine(JsonSerializer.Serialize(run, Web));
        return 0;
    }

    private static async Task<Run> EndToEndAsync(string root, long bytes)
    {
        await using var cloud = await LocalCloudHost.StartAsync(new LocalCloudOptions { ResourcePrefix = "lethe-bench-export", RepositoryRoot = root });
        cloud.ApplyToProcessEnvironment();
        var names = ResourceNames.FromEnvironment();
        using var dynamo = cloud.CreateDynamoDbClient();
        using var s3 = cloud.CreateS3Client();
        using var kms = cloud.CreateKmsClient();
        const string tenantId = "bench-export";
        var keyArn = await new KmsTenantKeys(kms, ResourceNames.KeyAliasPrefix()).GetOrCreateAsync(tenantId, CancellationToken.None);
        var tenant = await new DynamoTenantRepository(dynamo, names.Table(ResourceCatalog.Tenants))
            .GetOrCreateAsync(new Tenant(tenantId, "Benchmark", TenantState.Active, DateTimeOffset.UtcNow, 1) { KeyArn = keyArn }, CancellationToken.None);
        var keys = new KmsKeyHierarchy(kms, dynamo, names.Table(ResourceCatalog.Keys), new KekCache(TimeProvider.System, TimeSpan.FromMinutes(5), 10), TimeProvider.System);
        var store = new DynamoRecordStore(dynamo, names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Inventory), names.Table(ResourceCatalog.Keys),
            new ErasureLocks(dynamo, names.Table(ResourceCatalog.Jobs)), names.Table(ResourceCatalog.Tenants));
        var records = new RecordService(keys, store, TimeProvider.System);
        var subjectRef = new string('c', 64);
        long content = 0;
        for (var i = 0; content < bytes / 10; i++)
        {
            var fields = new Dictionary<string, string?> { ["body"] = SyntheticSource.Text(i, 4000), ["title"] = $"Session {i}" };
            await records.CreateAsync(tenant, keyArn, subjectRef, "bench-subject", new RecordDraft(i % 2 == 0 ? "transcript" : "note", null, false, fields), "bench", CancellationToken.None);
            content += 4000;
        }

        var files = new S3SubjectFiles(s3, dynamo, names.Bucket(ResourceCatalog.Data), names.Table(ResourceCatalog.Inventory), TimeProvider.System);
        var block = SyntheticSource.Block;
        for (var i = 0; content < bytes; i++)
        {
            var body = new byte[4 * MB];
            for (var offset = 0; offset < body.Length; offset += block.Length)
            {
                block.AsSpan(0, Math.Min(block.Length, body.Length - offset)).CopyTo(body.AsSpan(offset));
            }

            BitConverter.TryWriteBytes(body, i);
            await files.PutAsync(tenantId, keyArn, subjectRef, $"file_{i:D5}", $"recording-{i}.bin", "recording", body, "application/octet-stream", CancellationToken.None);
            content += body.Length;
        }

        var jobs = new DynamoJobStore(dynamo, names.Table(ResourceCatalog.Jobs), TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        var job = new Job
        {
            Id = Job.NewId(now), TenantId = tenantId, Type = JobType.Export, SubjectRef = subjectRef, Format = "zip", Status = JobStatus.Queued,
            Phase = JobPhases.Collect, CreatedAt = now, UpdatedAt = now, RequestedBy = "benchmark",
        };
        await jobs.CreateAsync(job, null, CancellationToken.None);
        var machine = cloud.Environment[ResourceNames.WorkflowVariable("export")];
        var before = PeakRssMb();
        var watch = Stopwatch.StartNew();
        await cloud.StepFunctions.StartExecutionAsync(new StartExecutionRequest(machine, job.ExecutionName,
            $$"""{"tenantId":"{{tenantId}}","jobId":"{{job.Id}}","execution":1}"""), CancellationToken.None);
        Job? done;
        do
        {
            await Task.Delay(250);
            done = await jobs.FindAsync(tenantId, job.Id, CancellationToken.None);
        }
        while (done is { Status: JobStatus.Queued or JobStatus.Running } && watch.Elapsed < TimeSpan.FromMinutes(30));

        if (done?.Status != JobStatus.Completed)
        {
            throw new InvalidOperationException($"The export ended {done?.Status}: {string.Join("; ", done?.Errors.Select(e => e.Message) ?? [])}");
        }

        Console.WriteLine($"  end to end: peak RSS {before:0} MB before the export, {PeakRssMb():0} MB after");
        return new Run(content / (double)MB, done.ExportBytes / (double)MB, watch.Elapsed.TotalSeconds, PeakRssMb());
    }

    private static double PeakRssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        return double.NaN;
    }

    /// <summary>A subject generated on the fly: records in four categories (10% of the bytes) and 8 MB files (90%).</summary>
    private sealed class SyntheticSource(long bytes) : IExportSource
    {
        private const int RecordBytes = 2000;
        private const int FileBytes = 8 * 1024 * 1024;
        private static readonly string[] Categories = ["transcript", "insight", "journal", "note"];

        /// <summary>64 KB of random bytes: repeated past deflate's 32 KB window, so files stay incompressible (as media are).</summary>
        public static readonly byte[] Block = RandomBlock();

        private readonly long _recordCount = Math.Max(1, bytes / 10 / RecordBytes);
        private readonly long _fileCount = Math.Max(1, bytes * 9 / 10 / FileBytes);

        public long ContentBytes => (_recordCount * RecordBytes) + (_fileCount * FileBytes);

        public static string Text(long i, int length)
        {
            var seed = $"Record {i}: the client talked about work, sleep and the next step, \"quoted\", with commas, and a line break\n. ";
            return string.Concat(Enumerable.Repeat(seed, (length / seed.Length) + 1))[..length];
        }

        public async IAsyncEnumerable<ExportRecord> RecordsAsync(string? category, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            for (long i = 0; i < _recordCount; i++)
            {
                var own = Categories[i % Categories.Length];
                if (category is not null && own != category)
                {
                    continue;
                }

                if (i % 1000 == 0)
                {
                    await Task.Yield();
                }

                yield return new ExportRecord($"rec_{i:D9}", own, at.AddSeconds(i), new Dictionary<string, string>
                {
                    ["body"] = Text(i, RecordBytes - 100),
                    [$"field_{i % 7}"] = "x",
                });
            }
        }

        public async IAsyncEnumerable<ExportFile> FilesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (long i = 0; i < _fileCount; i++)
            {
                await Task.Yield();
                yield return new ExportFile($"file_{i:D6}", $"recording-{i}.bin", "recording");
            }
        }

        public Task<Stream> OpenFileAsync(ExportFile file, CancellationToken cancellationToken) => Task.FromResult<Stream>(new RepeatingStream(Block, FileBytes));

        public IAsyncEnumerable<ConsentState> ConsentsAsync(CancellationToken cancellationToken) =>
            new[] { new ConsentState("ai-processing", true, DateTimeOffset.UtcNow, "bench") }.ToAsyncEnumerable();

        public Task<RestrictionState?> RestrictionAsync(CancellationToken cancellationToken) => Task.FromResult<RestrictionState?>(null);

        public IAsyncEnumerable<ChainedAuditEvent> AuditAsync(CancellationToken cancellationToken) => AsyncEnumerable.Empty<ChainedAuditEvent>();

        public IAsyncEnumerable<ExportArchivedItem> ArchivedAsync(CancellationToken cancellationToken) => AsyncEnumerable.Empty<ExportArchivedItem>();

        private static byte[] RandomBlock()
        {
            var block = new byte[64 * 1024];
            new Random(42).NextBytes(block);
            return block;
        }
    }

    /// <summary>Reads <c>length</c> bytes of a repeated block without holding them.</summary>
    private sealed class RepeatingStream(byte[] block, long length) : Lethe.Aws.IO.ForwardReadStream
    {
        private long _position;

        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var left = (int)Math.Min(buffer.Length, length - _position);
            var written = 0;
            while (written < left)
            {
                var at = (int)((_position + written) % block.Length);
                var take = Math.Min(left - written, block.Length - at);
                block.AsSpan(at, take).CopyTo(buffer[written..]);
                written += take;
            }

            _position += written;
            return written;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
    }

    /// <summary>A file that cannot seek, like an S3 multipart upload: the ZIP writer must stream (data descriptors, no back-patching).</summary>
    private sealed class WriteOnly(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
