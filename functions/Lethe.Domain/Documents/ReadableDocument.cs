namespace Lethe.Domain.Documents;

/// <summary>
/// A document for people (an export's report, a certificate to file or show a regulator): a title, a line under it, and
/// sections of lines. It says what to show, never how: the renderer (PDF in Lethe) lays it out and breaks pages.
/// </summary>
public sealed record ReadableDocument(string Title, string Subtitle, IReadOnlyList<DocumentSection> Sections);

public sealed record DocumentSection(string Heading, IReadOnlyList<DocumentLine> Lines);

/// <summary>One line: a label and its value, a paragraph (no label), or a block of machine text shown in a fixed-width font.</summary>
public sealed record DocumentLine(string? Label, string Text, bool Verbatim = false)
{
    public static DocumentLine Pair(string label, string value) => new(label, value);

    public static DocumentLine Paragraph(string text) => new(null, text);

    /// <summary>Machine text (base64, ids, JSON) shown exactly, in a fixed-width font, wrapped at any character.</summary>
    public static DocumentLine Code(string label, string text) => new(label, text, Verbatim: true);
}

/// <summary>Lays a <see cref="ReadableDocument"/> out as a file (PDF in Lethe). A port: pure computation, no I/O.</summary>
public interface IDocumentRenderer
{
    /// <summary>The media type of what <see cref="Render"/> writes (application/pdf).</summary>
    string ContentType { get; }

    /// <summary>Writes the document to <paramref name="sink"/>.</summary>
    void Render(ReadableDocument document, Stream sink);
}
