using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Lethe.Domain.Audit;
using Lethe.Domain.Documents;
using Lethe.Domain.Records;

namespace Lethe.Domain.Exports;

/// <summary>
/// Writes one export volume straight into a sink stream (an S3 multipart upload in Lethe, a file in benchmarks): entries are
/// streamed through deflate as they are read, each hashed on the way for the manifest, which closes the volume. Memory stays
/// flat in the export size: what is held is one record, one file buffer, and per category the set of its field names.
/// </summary>
public static class ExportPackager
{
    private const int FlushThreshold = 64 * 1024;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private static readonly JsonWriterOptions JsonOptions = new() { Indented = false, SkipValidation = false };

    /// <summary>
    /// Writes the volume in <paramref name="format"/>: a ZIP (zip, csv) with its readable <c>report.pdf</c> laid out by
    /// <paramref name="reports"/> (none without one), one JSON document (json), or the report alone (pdf).
    /// </summary>
    public static Task<ExportVolumeSummary> WriteAsync(
        ExportFormat format, ExportHeader header, IExportSource source, Stream sink, IDocumentRenderer? reports, CancellationToken cancellationToken) =>
        format switch
        {
            ExportFormat.Zip => WriteZipAsync(header, source, sink, csvOnly: false, reports, cancellationToken),
            ExportFormat.Csv => WriteZipAsync(header, source, sink, csvOnly: true, reports, cancellationToken),
            ExportFormat.Json => WriteJsonDocumentAsync(header, source, sink, cancellationToken),
            ExportFormat.Pdf => WriteReportAsync(header, source, sink, reports ?? throw new ArgumentNullException(nameof(reports), "A pdf export needs a renderer."), cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
        };

    /// <summary>format pdf: the readable report alone, from one pass over the source.</summary>
    private static async Task<ExportVolumeSummary> WriteReportAsync(ExportHeader header, IExportSource source, Stream sink, IDocumentRenderer reports, CancellationToken cancellationToken)
    {
        var facts = await ExportReport.CollectAsync(header, source, cancellationToken);
        var document = new HashingStream(sink);
        using (var pdf = RenderReport(reports, ExportReport.Build(facts)))
        {
            await pdf.CopyToAsync(document, cancellationToken);
        }

        await document.FlushAsync(cancellationToken);
        return new ExportVolumeSummary(facts.Records, facts.Files.Count, facts.Consents.Count, facts.AuditEvents, document.Length,
            [new ManifestEntry(ExportReport.FileName, document.Length, document.HexDigest())]);
    }

    /// <summary>The report laid out in memory (a renderer writes synchronously; the ZIP and the upload are written asynchronously).</summary>
    private static MemoryStream RenderReport(IDocumentRenderer reports, ReadableDocument document)
    {
        var pdf = new MemoryStream();
        reports.Render(document, pdf);
        pdf.Position = 0;
        return pdf;
    }

    /// <summary>An audit export: a ZIP of <c>audit.csv</c> (or <c>audit.json</c>) and <c>manifest.json</c>, streamed like any volume.</summary>
    public static async Task<ExportVolumeSummary> WriteAuditArchiveAsync(
        ExportHeader header, IAsyncEnumerable<ChainedAuditEvent> events, bool json, Stream sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(header);
        var archive = new HashingStream(sink);
        var entries = new List<ManifestEntry>();
        var counts = new Counts();
        await using (var zip = await ZipArchive.CreateAsync(archive, ZipArchiveMode.Create, leaveOpen: true, Utf8, cancellationToken))
        {
            async IAsyncEnumerable<ChainedAuditEvent> Counted()
            {
                await foreach (var chained in events.WithCancellation(cancellationToken))
                {
                    counts.AuditEvents++;
                    yield return chained;
                }
            }

            entries.Add(await WriteEntryAsync(zip, json ? "audit.json" : "audit.csv", header.GeneratedAt, CompressionLevel.Fastest, s => json
                ? WriteJsonAsync(s, w => WriteAuditArrayAsync(w, Counted(), cancellationToken), cancellationToken)
                : WriteLinesAsync(s, AuditCsvHeader, Counted().Select(AuditCsvRow), cancellationToken), cancellationToken));
            var listed = entries.ToList();
            entries.Add(await WriteEntryAsync(zip, "manifest.json", header.GeneratedAt, CompressionLevel.Fastest,
                s => WriteJsonAsync(s, w => { WriteManifest(w, header, listed); return Task.CompletedTask; }, cancellationToken), cancellationToken));
        }

        await archive.FlushAsync(cancellationToken);
        return new ExportVolumeSummary(0, 0, 0, counts.AuditEvents, archive.Length, entries);
    }

    private static async Task<ExportVolumeSummary> WriteZipAsync(
        ExportHeader header, IExportSource source, Stream sink, bool csvOnly, IDocumentRenderer? reports, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(source);
        var archive = new HashingStream(sink);
        var entries = new List<ManifestEntry>();
        var counts = new Counts();
        await using (var zip = await ZipArchive.CreateAsync(archive, ZipArchiveMode.Create, leaveOpen: true, Utf8, cancellationToken))
        {
            async Task Entry(string path, Func<Stream, Task> write, CompressionLevel level = CompressionLevel.Fastest) =>
                entries.Add(await WriteEntryAsync(zip, path, header.GeneratedAt, level, write, cancellationToken));

            // report.pdf, last before the manifest: what the volume holds, counted while it was written (the first records read again).
            async Task ReportEntryAsync()
            {
                if (reports is null)
                {
                    return;
                }

                var facts = await ExportReport.FinishAsync(header, csvOnly ? ExportFormat.Csv : ExportFormat.Zip, source, counts.ByCategory, counts.Sample.Records,
                    counts.ReportFiles, counts.AuditEvents, cancellationToken);
                MemoryStream pdf;
                try
                {
                    pdf = RenderReport(reports, ExportReport.Build(facts));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The data is all in the volume: a report that cannot be laid out says so rather than failing the export.
                    pdf = RenderReport(reports, ExportReport.Unavailable(header));
                }

                using (pdf)
                {
                    await Entry(ExportReport.FileName, s => pdf.CopyToAsync(s, cancellationToken));
                }
            }

            // Field names per category: the CSV header is their union, so it is known only after one pass over the records.
            var categories = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
            if (!csvOnly)
            {
                await Entry("records.json", s => WriteRecordsJsonAsync(s, source, categories, counts, cancellationToken));
            }
            else
            {
                await foreach (var record in source.RecordsAsync(null, cancellationToken))
                {
                    Collect(categories, record, counts);
                    counts.Records++;
                }
            }

            foreach (var (category, fields) in categories)
            {
                await Entry($"records/{category}.csv", s => WriteCategoryCsvAsync(s, source, category, fields, cancellationToken));
            }

            var files = new List<ManifestEntry>();
            await foreach (var file in source.FilesAsync(cancellationToken))
            {
                var path = $"files/{ExportPaths.Segment(file.ItemId, "item")}/{ExportPaths.Segment(file.FileName, "file")}";
                await using var content = await source.OpenFileAsync(file, cancellationToken);
                if (csvOnly)
                {
                    files.Add(await HashAsync(path, content, cancellationToken));
                }
                else
                {
                    await Entry(path, s => content.CopyToAsync(s, cancellationToken));
                }

                counts.Files++;
                counts.ReportFiles.Add(new ExportReportFile(path, file.Category, (csvOnly ? files : entries)[^1].Size));
            }

            if (csvOnly)
            {
                await Entry("files.csv", s => WriteLinesAsync(s, ["path", "size", "sha256"], files.Select(f => (IEnumerable<string?>)[f.Path, Number(f.Size), f.Sha256]), cancellationToken));
                await Entry("consents.csv", s => WriteLinesAsync(s, ["purpose", "granted", "updatedAt"], Consents(source, counts, cancellationToken), cancellationToken));
                if (await source.RestrictionAsync(cancellationToken) is { } restriction)
                {
                    await Entry("restriction.csv", s => WriteLinesAsync(s, ["restricted", "reason", "updatedAt"],
                        [[restriction.Restricted ? "true" : "false", restriction.Reason, AuditChain.FormatTime(restriction.UpdatedAt)]], cancellationToken));
                }

                await Entry("archived.csv", s => WriteLinesAsync(s, ["id", "kind", "category", "archivedUntil"], Archived(source, cancellationToken), cancellationToken));
                await Entry("audit.csv", s => WriteLinesAsync(s, AuditCsvHeader, Audit(source, counts, cancellationToken), cancellationToken));
                await ReportEntryAsync();
                var listed = entries.ToList();
                await Entry("manifest.csv", s => WriteLinesAsync(s, ["path", "size", "sha256"], listed.Select(e => (IEnumerable<string?>)[e.Path, Number(e.Size), e.Sha256]), cancellationToken));
            }
            else
            {
                await Entry("consents.json", s => WriteJsonAsync(s, w => WriteConsentsAsync(w, source, counts, cancellationToken), cancellationToken));
                if (await source.RestrictionAsync(cancellationToken) is { } restriction)
                {
                    await Entry("restriction.json", s => WriteJsonAsync(s, w => { WriteRestriction(w, restriction); return Task.CompletedTask; }, cancellationToken));
                }

                await Entry("archived.json", s => WriteJsonAsync(s, w => WriteArchivedAsync(w, source, cancellationToken), cancellationToken));
                await Entry("audit.json", s => WriteJsonAsync(s, w => WriteAuditAsync(w, source, counts, cancellationToken), cancellationToken));
                await ReportEntryAsync();
                var listed = entries.ToList();
                await Entry("manifest.json", s => WriteJsonAsync(s, w => { WriteManifest(w, header, listed); return Task.CompletedTask; }, cancellationToken));
            }
        }

        await archive.FlushAsync(cancellationToken);
        return new ExportVolumeSummary(counts.Records, counts.Files, counts.Consents, counts.AuditEvents, archive.Length, entries);
    }

    /// <summary>format json: one document of records, consents and audit; files are listed by path, size and SHA-256 only.</summary>
    private static async Task<ExportVolumeSummary> WriteJsonDocumentAsync(ExportHeader header, IExportSource source, Stream sink, CancellationToken cancellationToken)
    {
        var document = new HashingStream(sink);
        var counts = new Counts();
        var files = new List<ManifestEntry>();
        await WriteJsonAsync(document, async w =>
        {
            w.WriteStartObject();
            w.WriteString("requestId", header.RequestId);
            w.WriteString("subjectRef", header.SubjectRef);
            w.WriteString("generatedAt", AuditChain.FormatTime(header.GeneratedAt));
            w.WritePropertyName("records");
            await WriteRecordArrayAsync(w, source, null, counts, cancellationToken);
            w.WritePropertyName("consents");
            await WriteConsentsAsync(w, source, counts, cancellationToken);
            w.WritePropertyName("restriction");
            WriteRestriction(w, await source.RestrictionAsync(cancellationToken));
            w.WritePropertyName("audit");
            await WriteAuditAsync(w, source, counts, cancellationToken);
            w.WritePropertyName("archived");
            await WriteArchivedAsync(w, source, cancellationToken);
            await foreach (var file in source.FilesAsync(cancellationToken))
            {
                await using var content = await source.OpenFileAsync(file, cancellationToken);
                files.Add(await HashAsync($"files/{ExportPaths.Segment(file.ItemId, "item")}/{ExportPaths.Segment(file.FileName, "file")}", content, cancellationToken));
                counts.Files++;
            }

            w.WritePropertyName("files");
            WriteEntries(w, files);
            w.WriteEndObject();
        }, cancellationToken);
        return new ExportVolumeSummary(counts.Records, counts.Files, counts.Consents, counts.AuditEvents, document.Length, [new ManifestEntry("export.json", document.Length, document.HexDigest()), .. files]);
    }

    private static readonly string[] AuditCsvHeader = ["seq", "at", "actorSub", "actorRole", "action", "target", "outcome", "details", "prevHash", "hash"];

    private static async Task<ManifestEntry> WriteEntryAsync(
        ZipArchive zip, string path, DateTimeOffset at, CompressionLevel level, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        var entry = zip.CreateEntry(path, level);
        entry.LastWriteTime = at;
        await using var raw = await entry.OpenAsync(cancellationToken);
        using var hashing = new HashingStream(raw);
        await write(hashing);
        await hashing.FlushAsync(cancellationToken);
        return new ManifestEntry(path, hashing.Length, hashing.HexDigest());
    }

    private static async Task<ManifestEntry> HashAsync(string path, Stream content, CancellationToken cancellationToken)
    {
        using var hashing = new HashingStream(Stream.Null);
        await content.CopyToAsync(hashing, cancellationToken);
        return new ManifestEntry(path, hashing.Length, hashing.HexDigest());
    }

    private static async Task WriteJsonAsync(Stream stream, Func<Utf8JsonWriter, Task> write, CancellationToken cancellationToken)
    {
        await using var writer = new Utf8JsonWriter(stream, JsonOptions);
        await write(writer);
        await writer.FlushAsync(cancellationToken);
    }

    private static Task WriteRecordsJsonAsync(
        Stream stream, IExportSource source, SortedDictionary<string, SortedSet<string>> categories, Counts counts, CancellationToken cancellationToken) =>
        WriteJsonAsync(stream, w => WriteRecordArrayAsync(w, source, categories, counts, cancellationToken), cancellationToken);

    private static async Task WriteRecordArrayAsync(
        Utf8JsonWriter w, IExportSource source, SortedDictionary<string, SortedSet<string>>? categories, Counts counts, CancellationToken cancellationToken)
    {
        w.WriteStartArray();
        await foreach (var record in source.RecordsAsync(null, cancellationToken))
        {
            w.WriteStartObject();
            w.WriteString("id", record.Id);
            w.WriteString("category", record.Category);
            w.WriteString("createdAt", AuditChain.FormatTime(record.CreatedAt));
            w.WriteStartObject("fields");
            foreach (var (name, value) in record.Fields.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                w.WriteString(name, value);
            }

            w.WriteEndObject();
            w.WriteEndObject();
            if (categories is not null)
            {
                Collect(categories, record, counts);
            }

            counts.Records++;
            await FlushIfFullAsync(w, cancellationToken);
        }

        w.WriteEndArray();
    }

    private static void Collect(SortedDictionary<string, SortedSet<string>> categories, ExportRecord record, Counts counts)
    {
        counts.ByCategory[record.Category] = counts.ByCategory.GetValueOrDefault(record.Category) + 1;
        counts.Sample.Offer(record);
        if (!categories.TryGetValue(record.Category, out var fields))
        {
            categories[record.Category] = fields = new SortedSet<string>(StringComparer.Ordinal);
        }

        fields.UnionWith(record.Fields.Keys);
    }

    private static Task WriteCategoryCsvAsync(Stream stream, IExportSource source, string category, SortedSet<string> fields, CancellationToken cancellationToken)
    {
        async IAsyncEnumerable<IEnumerable<string?>> Rows()
        {
            await foreach (var record in source.RecordsAsync(category, cancellationToken))
            {
                yield return [record.Id, AuditChain.FormatTime(record.CreatedAt), .. fields.Select(f => record.Fields.TryGetValue(f, out var v) ? v : null)];
            }
        }

        return WriteLinesAsync(stream, ["id", "createdAt", .. fields], Rows(), cancellationToken);
    }

    private static Task WriteLinesAsync(Stream stream, IEnumerable<string> header, IEnumerable<IEnumerable<string?>> rows, CancellationToken cancellationToken) =>
        WriteLinesAsync(stream, header, rows.ToAsyncEnumerable(), cancellationToken);

    private static async Task WriteLinesAsync(Stream stream, IEnumerable<string> header, IAsyncEnumerable<IEnumerable<string?>> rows, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(stream, Utf8, bufferSize: 16 * 1024, leaveOpen: true);
        await writer.WriteAsync(Csv.Line(header).AsMemory(), cancellationToken);
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            await writer.WriteAsync(Csv.Line(row).AsMemory(), cancellationToken);
        }

        await writer.FlushAsync(cancellationToken);
    }

    private static async IAsyncEnumerable<IEnumerable<string?>> Consents(IExportSource source, Counts counts, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var consent in source.ConsentsAsync(cancellationToken))
        {
            counts.Consents++;
            yield return [consent.Purpose, consent.Granted ? "true" : "false", AuditChain.FormatTime(consent.UpdatedAt)];
        }
    }

    private static async IAsyncEnumerable<IEnumerable<string?>> Audit(IExportSource source, Counts counts, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var chained in source.AuditAsync(cancellationToken))
        {
            counts.AuditEvents++;
            yield return AuditCsvRow(chained);
        }
    }

    /// <summary>One audit event as a CSV row (<see cref="AuditCsvHeader"/>), as the audit API and audit exports write it too.</summary>
    public static IEnumerable<string?> AuditCsvRow(ChainedAuditEvent chained)
    {
        ArgumentNullException.ThrowIfNull(chained);
        var e = chained.Event;
        return [Number(chained.Seq), AuditChain.FormatTime(e.At), e.Actor.Sub, e.Actor.Role, e.Action, e.Target, e.Outcome, e.Details.GetRawText(), chained.PrevHash, chained.Hash];
    }

    private static async IAsyncEnumerable<IEnumerable<string?>> Archived(IExportSource source, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in source.ArchivedAsync(cancellationToken))
        {
            yield return [item.ItemId, item.Kind, item.Category, item.ArchivedUntil is { } until ? AuditChain.FormatTime(until) : null];
        }
    }

    /// <summary>The subject's archived items by id: kept, but readable only after a retrieval.</summary>
    private static async Task WriteArchivedAsync(Utf8JsonWriter w, IExportSource source, CancellationToken cancellationToken)
    {
        w.WriteStartArray();
        await foreach (var item in source.ArchivedAsync(cancellationToken))
        {
            w.WriteStartObject();
            w.WriteString("id", item.ItemId);
            w.WriteString("kind", item.Kind);
            w.WriteString("category", item.Category);
            if (item.ArchivedUntil is { } until)
            {
                w.WriteString("archivedUntil", AuditChain.FormatTime(until));
            }

            w.WriteEndObject();
            await FlushIfFullAsync(w, cancellationToken);
        }

        w.WriteEndArray();
    }

    /// <summary>The subject's restriction of processing: whether it holds, its ground and since when (null when never set).</summary>
    private static void WriteRestriction(Utf8JsonWriter w, RestrictionState? restriction)
    {
        if (restriction is null)
        {
            w.WriteNullValue();
            return;
        }

        w.WriteStartObject();
        w.WriteBoolean("restricted", restriction.Restricted);
        if (restriction.Reason is not null)
        {
            w.WriteString("reason", restriction.Reason);
        }

        w.WriteString("updatedAt", AuditChain.FormatTime(restriction.UpdatedAt));
        w.WriteEndObject();
    }

    private static async Task WriteConsentsAsync(Utf8JsonWriter w, IExportSource source, Counts counts, CancellationToken cancellationToken)
    {
        w.WriteStartArray();
        await foreach (var consent in source.ConsentsAsync(cancellationToken))
        {
            w.WriteStartObject();
            w.WriteString("purpose", consent.Purpose);
            w.WriteBoolean("granted", consent.Granted);
            w.WriteString("updatedAt", AuditChain.FormatTime(consent.UpdatedAt));
            w.WriteEndObject();
            counts.Consents++;
            await FlushIfFullAsync(w, cancellationToken);
        }

        w.WriteEndArray();
    }

    private static async Task WriteAuditAsync(Utf8JsonWriter w, IExportSource source, Counts counts, CancellationToken cancellationToken)
    {
        async IAsyncEnumerable<ChainedAuditEvent> Counted()
        {
            await foreach (var chained in source.AuditAsync(cancellationToken))
            {
                counts.AuditEvents++;
                yield return chained;
            }
        }

        await WriteAuditArrayAsync(w, Counted(), cancellationToken);
    }

    private static async Task WriteAuditArrayAsync(Utf8JsonWriter w, IAsyncEnumerable<ChainedAuditEvent> events, CancellationToken cancellationToken)
    {
        w.WriteStartArray();
        await foreach (var chained in events.WithCancellation(cancellationToken))
        {
            WriteAuditEvent(w, chained);
            await FlushIfFullAsync(w, cancellationToken);
        }

        w.WriteEndArray();
    }

    /// <summary>One audit event as the audit API shows it (API.md, GET …/audit).</summary>
    public static void WriteAuditEvent(Utf8JsonWriter w, ChainedAuditEvent chained)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(chained);
        var e = chained.Event;
        w.WriteStartObject();
        w.WriteNumber("seq", chained.Seq);
        w.WriteString("at", AuditChain.FormatTime(e.At));
        w.WriteStartObject("actor");
        w.WriteString("sub", e.Actor.Sub);
        w.WriteString("role", e.Actor.Role);
        w.WriteEndObject();
        w.WriteString("action", e.Action);
        w.WriteString("target", e.Target);
        w.WriteString("outcome", e.Outcome);
        w.WritePropertyName("details");
        e.Details.WriteTo(w);
        w.WriteString("prevHash", chained.PrevHash);
        w.WriteString("hash", chained.Hash);
        w.WriteEndObject();
    }

    private static void WriteManifest(Utf8JsonWriter w, ExportHeader header, IReadOnlyList<ManifestEntry> entries)
    {
        w.WriteStartObject();
        w.WriteString("requestId", header.RequestId);
        w.WriteString("subjectRef", header.SubjectRef);
        w.WriteString("generatedAt", AuditChain.FormatTime(header.GeneratedAt));
        if (header.Connectors.Count > 0)
        {
            w.WritePropertyName("connectors");
            WriteConnectors(w, header.Connectors);
        }

        w.WritePropertyName("entries");
        WriteEntries(w, entries);
        w.WriteEndObject();
    }

    /// <summary>Each connector's confirmation: name, status, items, when it answered (never its message).</summary>
    private static void WriteConnectors(Utf8JsonWriter w, IEnumerable<Connectors.ConnectorCall> calls)
    {
        w.WriteStartArray();
        foreach (var call in calls.Where(c => c.Answer is not null))
        {
            w.WriteStartObject();
            w.WriteString("name", call.Connector);
            w.WriteString("status", call.Answer!.Status);
            w.WriteNumber("items", call.Answer.Items);
            w.WriteString("answeredAt", AuditChain.FormatTime(call.Answer.At));
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteEntries(Utf8JsonWriter w, IEnumerable<ManifestEntry> entries)
    {
        w.WriteStartArray();
        foreach (var entry in entries)
        {
            w.WriteStartObject();
            w.WriteString("path", entry.Path);
            w.WriteNumber("size", entry.Size);
            w.WriteString("sha256", entry.Sha256);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static async ValueTask FlushIfFullAsync(Utf8JsonWriter w, CancellationToken cancellationToken)
    {
        if (w.BytesPending >= FlushThreshold)
        {
            await w.FlushAsync(cancellationToken);
        }
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class Counts
    {
        public int Records { get; set; }

        public int Files { get; set; }

        public int Consents { get; set; }

        public int AuditEvents { get; set; }

        /// <summary>Records per category (ZIP formats), for the report.</summary>
        public SortedDictionary<string, int> ByCategory { get; } = new(StringComparer.Ordinal);

        /// <summary>The records the report shows, kept as they stream past.</summary>
        public ExportReport.RecordSample Sample { get; } = new();

        /// <summary>Files as written, for the report.</summary>
        public List<ExportReportFile> ReportFiles { get; } = [];
    }
}

/// <summary>Names inside an archive: no separators, no dot segments, no control characters (no zip-slip when unpacked).</summary>
public static class ExportPaths
{
    public const int MaxSegmentLength = 200;

    public static string Segment(string? name, string fallback)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return fallback;
        }

        var cleaned = new string(name.Select(c => c is '/' or '\\' or ':' || char.IsControl(c) ? '_' : c).ToArray()).Trim();
        if (cleaned.Length > MaxSegmentLength)
        {
            cleaned = cleaned[..MaxSegmentLength];
        }

        return cleaned.Trim('.').Length == 0 ? fallback : cleaned;
    }
}
