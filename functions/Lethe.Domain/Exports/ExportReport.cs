using System.Globalization;
using Lethe.Domain.Audit;
using Lethe.Domain.Documents;
using Lethe.Domain.Records;

namespace Lethe.Domain.Exports;

/// <summary>What an export volume's <c>report.pdf</c> says: gathered while the volume is written, bounded in memory.</summary>
public sealed record ExportReportFacts(
    ExportHeader Header,
    ExportFormat Format,
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
/// report alone): the request, records per category and the first ones with their fields (within <see cref="MaxRecordsShown"/>
/// and <see cref="CharacterBudget"/>, each value cut at <see cref="MaxValueLength"/>), files, consents, the restriction, archived
/// items and how many audit events are the subject's. A volume after the subject's first says where the rest is listed.
/// </summary>
public static class ExportReport
{
    public const string FileName = "report.pdf";

    public const int MaxRecordsShown = 100;

    public const int MaxValueLength = 400;

    /// <summary>Characters of field values the report shows in all (about 40 pages): the rest is counted, never laid out.</summary>
    public const int CharacterBudget = 100_000;

    public const int MaxItemsListed = 500;

    /// <summary>Keeps the records the report shows, cut to size, while the volume's records stream past (once each).</summary>
    public sealed class RecordSample
    {
        private readonly List<ExportRecord> _records = [];
        private int _characters;

        public IReadOnlyList<ExportRecord> Records => _records;

        public void Offer(ExportRecord record)
        {
            ArgumentNullException.ThrowIfNull(record);
            if (_records.Count >= MaxRecordsShown || _characters >= CharacterBudget)
            {
                return;
            }

            var fields = record.Fields.OrderBy(f => f.Key, StringComparer.Ordinal)
                .ToDictionary(f => Cut(f.Key, 64), f => Cut(f.Value, MaxValueLength), StringComparer.Ordinal);
            _characters += fields.Sum(f => f.Key.Length + f.Value.Length);
            _records.Add(record with { Fields = fields });
        }
    }

    /// <summary>Gathers the facts in one pass over the source (format pdf, where nothing else is written; files by name only).</summary>
    public static async Task<ExportReportFacts> CollectAsync(ExportHeader header, IExportSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(source);
        var byCategory = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var sample = new RecordSample();
        await foreach (var record in source.RecordsAsync(null, cancellationToken))
        {
            byCategory[record.Category] = byCategory.GetValueOrDefault(record.Category) + 1;
            sample.Offer(record);
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

        return await FinishAsync(header, ExportFormat.Pdf, source, byCategory, sample.Records, files, audit, cancellationToken);
    }

    /// <summary>Adds what the volume's writing did not keep: consents, the restriction and archived items (small, read again).</summary>
    public static async Task<ExportReportFacts> FinishAsync(
        ExportHeader header, ExportFormat format, IExportSource source, IReadOnlyDictionary<string, int> recordsByCategory, IReadOnlyList<ExportRecord> firstRecords,
        IReadOnlyList<ExportReportFile> files, int auditEvents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
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

        return new ExportReportFacts(header, format, recordsByCategory, firstRecords, files, consents, await source.RestrictionAsync(cancellationToken), archived, auditEvents);
    }

    /// <summary>The report when laying it out failed: the volume is still delivered, and says so.</summary>
    public static ReadableDocument Unavailable(ExportHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return new ReadableDocument("What we hold about you", $"Export {header.RequestId}, volume {header.Volume}",
        [
            new("About this report", [DocumentLine.Paragraph("The readable summary could not be laid out for this volume. The machine-readable files beside it hold all of its data.")]),
        ]);
    }

    public static ReadableDocument Build(ExportReportFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var header = facts.Header;
        var elsewhere = header.First ? null : "Listed in the report of this subject's first volume.";
        List<DocumentSection> sections =
        [
            new("About this report",
            [
                DocumentLine.Pair("Request", header.RequestId),
                DocumentLine.Pair("Volume", header.Volume.ToString(CultureInfo.InvariantCulture)),
                DocumentLine.Pair("Subject reference", header.SubjectRef),
                DocumentLine.Pair("Generated", AuditChain.FormatTime(header.GeneratedAt)),
                DocumentLine.Paragraph(About(facts.Format)),
            ]),
            new("Records", RecordLines(facts)),
            new("Files", facts.Files.Count == 0
                ? [DocumentLine.Paragraph("No files in this volume.")]
                :
                [
                    .. facts.Format == ExportFormat.Csv ? [DocumentLine.Paragraph("File contents are not part of a csv export: files.csv lists each by path, size and SHA-256.")] : Array.Empty<DocumentLine>(),
                    .. facts.Files.Take(MaxItemsListed).Select(f => DocumentLine.Pair(f.Path, f.Size is { } size ? $"{f.Category}, {Bytes(size)}" : f.Category)),
                    .. More(facts.Files.Count, MaxItemsListed, "files"),
                ]),
            new("Consents", elsewhere is not null ? [DocumentLine.Paragraph(elsewhere)] : facts.Consents.Count == 0
                ? [DocumentLine.Paragraph("No consents are recorded.")]
                : [.. facts.Consents.Select(c => DocumentLine.Pair(c.Purpose, $"{(c.Granted ? "granted" : "withdrawn")} since {AuditChain.FormatTime(c.UpdatedAt)}"))]),
            new("Restriction of processing", elsewhere is not null ? [DocumentLine.Paragraph(elsewhere)] : facts.Restriction is not { } restriction
                ? [DocumentLine.Paragraph("Processing of your data has never been restricted.")]
                :
                [
                    DocumentLine.Pair("Restricted", restriction.Restricted ? "yes" : "no (lifted)"),
                    DocumentLine.Pair("Since", AuditChain.FormatTime(restriction.UpdatedAt)),
                    .. restriction.Reason is { } reason ? [DocumentLine.Pair("Ground", reason)] : Array.Empty<DocumentLine>(),
                ]),
            new("Archived items", elsewhere is not null ? [DocumentLine.Paragraph(elsewhere)] : facts.Archived.Count == 0
                ? [DocumentLine.Paragraph("None of your items is in the archive.")]
                :
                [
                    DocumentLine.Paragraph($"{facts.Archived.Count} item(s) are kept in the archive; their content is returned after a retrieval."),
                    .. facts.Archived.Take(MaxItemsListed).Select(a => DocumentLine.Pair(a.ItemId, $"{a.Kind}, {a.Category}" + (a.ArchivedUntil is { } until ? $", archived until {AuditChain.FormatTime(until)}" : string.Empty))),
                    .. More(facts.Archived.Count, MaxItemsListed, "archived items"),
                ]),
            new("Audit trail", [DocumentLine.Paragraph(elsewhere ?? $"{facts.AuditEvents} event(s) of the audit trail concern you{(facts.Format == ExportFormat.Pdf ? "." : "; the audit file lists each with its hash in the chain.")}")]),
        ];
        return new ReadableDocument("What we hold about you", $"Export {header.RequestId}", sections);
    }

    private static string About(ExportFormat format) => format switch
    {
        ExportFormat.Csv => "A readable summary of the personal data this volume of your export holds. The CSV files beside it hold all of it "
            + "(records/{category}.csv, files.csv, consents.csv, audit.csv); manifest.csv lists the SHA-256 of every file.",
        ExportFormat.Pdf => "A readable summary of the personal data held about you. This report is the whole of this export: it shows the first "
            + "records in full and counts the rest; ask for a zip export to receive every record and file.",
        _ => "A readable summary of the personal data this volume of your export holds. The machine-readable files beside it "
            + "(records.json, records/{category}.csv, files/, consents.json, audit.json) hold all of it; manifest.json lists the SHA-256 of every file.",
    };

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
            lines.AddRange(record.Fields.Select(f => DocumentLine.Pair(f.Key, f.Value)));
        }

        lines.AddRange(More(facts.Records, facts.FirstRecords.Count, "records"));
        if (facts.FirstRecords.SelectMany(r => r.Fields.Values).Any(v => v.EndsWith(CutMark, StringComparison.Ordinal)))
        {
            lines.Add(DocumentLine.Paragraph($"Values longer than {MaxValueLength} characters are cut where marked."));
        }

        return lines;
    }

    private const string CutMark = " …";

    private static IEnumerable<DocumentLine> More(int total, int shown, string what) =>
        total > shown ? [DocumentLine.Paragraph($"…and {total - shown} more {what} in this volume, not shown here.")] : [];

    private static string Cut(string value, int length) => value.Length <= length ? value : value[..length] + CutMark;

    private static string Bytes(long size) => size < 1024 ? $"{size} bytes" : size < 1024 * 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{size / 1024.0:0.#} KiB")
        : string.Create(CultureInfo.InvariantCulture, $"{size / (1024.0 * 1024):0.#} MiB");
}
