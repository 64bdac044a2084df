using System.Globalization;
using Lethe.Domain.Audit;
using Lethe.Domain.Documents;
using Lethe.Domain.Records;

namespace Lethe.Domain.Exports;

/// <summary>What an export volume's <c>report.pdf</c> says: gathered while the volume is written, bounded in memory.</summary>
public sealed record ExportReportFacts(
    ExportHeader Header,
    IReadOnlyDictionary<string, int> RecordsByCategory,
    IReadOnlyList<ExportRecord> FirstRecords,
    IReadOnlyList<ExportReportFile> Files,
    IReadOnlyList<ConsentState> Consents,
    RestrictionState? Restriction,
    IReadOnlyList<ExportArchivedItem> Archived,
    int AuditEvents)
{
    public int Records => RecordsByCategory.Values.Sum();
}

/// <summary>A file as the report lists it: where it is in the archive (or its name alone in a PDF export), and its size when known.</summary>
public sealed record ExportReportFile(string Path, string Category, long? Size);

/// <summary>
/// The readable summary of what is held about the subject (API.md: every ZIP carries <c>report.pdf</c>; format <c>pdf</c> is the
/// report alone): the request, records per category and the first <see cref="MaxRecordsShown"/> with their fields, files,
/// consents, the restriction, archived items and how many audit events are the subject's.
/// </summary>
public static class ExportReport
{
    public const string FileName = "report.pdf";

    /// <summary>Records shown field by field; the rest are counted (the ZIP's records.json holds them all).</summary>
    public const int MaxRecordsShown = 200;

    /// <summary>A field value longer than this is cut, with the rest in records.json.</summary>
    public const int MaxValueLength = 400;

    public const int MaxItemsListed = 500;

    /// <summary>Gathers the facts in one pass over the source (format pdf, where nothing else is written).</summary>
    public static async Task<ExportReportFacts> CollectAsync(ExportHeader header, IExportSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(source);
        var byCategory = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var first = new List<ExportRecord>();
        await foreach (var record in source.RecordsAsync(null, cancellationToken))
        {
            byCategory[record.Category] = byCategory.GetValueOrDefault(record.Category) + 1;
            if (first.Count < MaxRecordsShown)
            {
                first.Add(record);
            }
        }

        var files = new List<ExportReportFile>();
        await foreach (var file in source.FilesAsync(cancellationToken))
        {
            files.Add(new ExportReportFile(ExportPaths.Segment(file.FileName, "file"), file.Category, Size: null));
        }

        var audit = 0;
        await foreach (var _ in source.AuditAsync(cancellationToken))
        {
            audit++;
        }

        return await FinishAsync(header, source, byCategory, first, files, audit, cancellationToken);
    }

    /// <summary>Gathers what the volume's writing did not already count: consents, restriction, archived items, and the first records.</summary>
    public static async Task<ExportReportFacts> FinishAsync(
        ExportHeader header, IExportSource source, IReadOnlyDictionary<string, int> recordsByCategory, IReadOnlyList<ExportRecord>? firstRecords,
        IReadOnlyList<ExportReportFile> files, int auditEvents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var first = firstRecords?.ToList() ?? [];
        if (firstRecords is null)
        {
            await foreach (var record in source.RecordsAsync(null, cancellationToken))
            {
                first.Add(record);
                if (first.Count == MaxRecordsShown)
                {
                    break;
                }
            }
        }

        var consents = new List<ConsentState>();
        await foreach (var consent in source.ConsentsAsync(cancellationToken))
        {
            consents.Add(consent);
        }

        var archived = new List<ExportArchivedItem>();
        await foreach (var item in source.ArchivedAsync(cancellationToken))
        {
            archived.Add(item);
        }

        return new ExportReportFacts(header, recordsByCategory, first, files, consents, await source.RestrictionAsync(cancellationToken), archived, auditEvents);
    }

    public static ReadableDocument Build(ExportReportFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var header = facts.Header;
        List<DocumentSection> sections =
        [
            new("About this report",
            [
                DocumentLine.Pair("Request", header.RequestId),
                DocumentLine.Pair("Subject reference", header.SubjectRef),
                DocumentLine.Pair("Generated", AuditChain.FormatTime(header.GeneratedAt)),
                DocumentLine.Paragraph("A readable summary of the personal data this volume of your export holds. The machine-readable files beside it "
                    + "(records.json, records/{category}.csv, files/, consents.json, audit.json) hold all of it; manifest.json lists the SHA-256 of every file."),
            ]),
            new("Records", RecordLines(facts)),
            new("Files", facts.Files.Count == 0
                ? [DocumentLine.Paragraph("No files in this volume.")]
                : [.. facts.Files.Take(MaxItemsListed).Select(f => DocumentLine.Pair(f.Path, f.Size is { } size ? $"{f.Category}, {Bytes(size)}" : f.Category)), .. More(facts.Files.Count, "files")]),
            new("Consents", facts.Consents.Count == 0
                ? [DocumentLine.Paragraph("No consents are recorded in this volume.")]
                : [.. facts.Consents.Select(c => DocumentLine.Pair(c.Purpose, $"{(c.Granted ? "granted" : "withdrawn")} since {AuditChain.FormatTime(c.UpdatedAt)}"))]),
            new("Restriction of processing", facts.Restriction is not { } restriction
                ? [DocumentLine.Paragraph("Processing of your data has never been restricted (or the restriction is listed in the first volume).")]
                :
                [
                    DocumentLine.Pair("Restricted", restriction.Restricted ? "yes" : "no (lifted)"),
                    DocumentLine.Pair("Since", AuditChain.FormatTime(restriction.UpdatedAt)),
                    .. restriction.Reason is { } reason ? [DocumentLine.Pair("Ground", reason)] : Array.Empty<DocumentLine>(),
                ]),
            new("Archived items", facts.Archived.Count == 0
                ? [DocumentLine.Paragraph("None of your items is in the archive.")]
                :
                [
                    DocumentLine.Paragraph($"{facts.Archived.Count} item(s) are kept in the archive; their content is returned after a retrieval."),
                    .. facts.Archived.Take(MaxItemsListed).Select(a => DocumentLine.Pair(a.ItemId, $"{a.Kind}, {a.Category}" + (a.ArchivedUntil is { } until ? $", archived until {AuditChain.FormatTime(until)}" : string.Empty))),
                    .. More(facts.Archived.Count, "archived items"),
                ]),
            new("Audit trail", [DocumentLine.Paragraph($"{facts.AuditEvents} event(s) of the audit trail concern you; audit.json lists each with its hash in the chain.")]),
        ];
        return new ReadableDocument("What we hold about you", $"Export {header.RequestId}", sections);
    }

    private static List<DocumentLine> RecordLines(ExportReportFacts facts)
    {
        if (facts.Records == 0)
        {
            return [DocumentLine.Paragraph("No records in this volume.")];
        }

        var lines = facts.RecordsByCategory.Select(c => DocumentLine.Pair(c.Key, $"{c.Value} record(s)")).ToList();
        foreach (var record in facts.FirstRecords)
        {
            lines.Add(DocumentLine.Paragraph($"{record.Category} {record.Id}, created {AuditChain.FormatTime(record.CreatedAt)}"));
            lines.AddRange(record.Fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => DocumentLine.Pair(f.Key, Cut(f.Value))));
        }

        lines.AddRange(More(facts.Records, "records", facts.FirstRecords.Count));
        return lines;
    }

    private static IEnumerable<DocumentLine> More(int total, string what, int shown = MaxItemsListed) =>
        total > shown ? [DocumentLine.Paragraph($"…and {total - shown} more {what}, listed in the machine-readable files.")] : [];

    private static string Cut(string value) => value.Length <= MaxValueLength ? value : value[..MaxValueLength] + " … (cut here; the whole value is in records.json)";

    private static string Bytes(long size) => size < 1024 ? $"{size} bytes" : size < 1024 * 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{size / 1024.0:0.#} KiB")
        : string.Create(CultureInfo.InvariantCulture, $"{size / (1024.0 * 1024):0.#} MiB");
}
