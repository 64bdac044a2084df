using System.Reflection;
using Lethe.Domain.Documents;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;

namespace Lethe.Aws.Documents;

/// <summary>
/// Lays a <see cref="ReadableDocument"/> out as an A4 PDF with PDFsharp: the title, the line under it, each section's heading,
/// label and value in two columns, paragraphs wrapped at words, machine text in a fixed-width font wrapped at any character,
/// new pages as needed, a page number on each. The fonts (DejaVu Sans and Sans Mono, Bitstream Vera licence) are embedded in
/// this assembly: a Lambda has no system fonts, and the output must not depend on the machine that renders it.
/// </summary>
public sealed class PdfDocumentRenderer : IDocumentRenderer
{
    private const string Sans = "DejaVu Sans";
    private const string Mono = "DejaVu Sans Mono";
    private const double Margin = 50;
    private const double LabelWidth = 150;
    private const double Gap = 10;

    private static readonly XBrush Ink = XBrushes.Black;
    private static readonly XBrush Muted = new XSolidBrush(XColor.FromArgb(85, 85, 85));

    static PdfDocumentRenderer()
    {
        // PDFsharp resolves fonts process-wide and refuses a second resolver once fonts were used: set once, here.
        GlobalFontSettings.FontResolver ??= new EmbeddedFonts();
        if (GlobalFontSettings.FontResolver is not EmbeddedFonts)
        {
            throw new InvalidOperationException("Another font resolver was set for PDFsharp; the documents need the embedded fonts.");
        }
    }

    /// <summary>The faces one rendering uses (created per document: PDFsharp promises isolation per document, not across them).</summary>
    private sealed class Fonts
    {
        public XFont Title { get; } = new(Sans, 18, XFontStyleEx.Regular);

        public XFont Subtitle { get; } = new(Sans, 10, XFontStyleEx.Regular);

        public XFont Heading { get; } = new(Sans, 13, XFontStyleEx.Regular);

        public XFont Text { get; } = new(Sans, 9.5, XFontStyleEx.Regular);

        public XFont Label { get; } = new(Sans, 9, XFontStyleEx.Regular);

        public XFont Code { get; } = new(Mono, 8, XFontStyleEx.Regular);
    }

    public string ContentType => "application/pdf";

    public void Render(ReadableDocument document, Stream sink)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(sink);
        using var pdf = new PdfDocument();
        pdf.Info.Title = document.Title;
        pdf.Info.Subject = document.Subtitle;
        pdf.Info.Creator = "Lethe";
        var fonts = new Fonts();
        var layout = new Layout(pdf, fonts);
        layout.Write(document.Title, fonts.Title, Ink, Margin, layout.Width, after: 4);
        layout.Write(document.Subtitle, fonts.Subtitle, Muted, Margin, layout.Width, after: 14);
        foreach (var section in document.Sections)
        {
            layout.KeepTogether(fonts.Heading.Height * 3);
            layout.Write(section.Heading, fonts.Heading, Ink, Margin, layout.Width, after: 6);
            foreach (var line in section.Lines)
            {
                layout.WriteLine(line);
            }

            layout.Space(10);
        }

        layout.Finish();
        pdf.Save(sink, closeStream: false);
    }

    /// <summary>Where the next line goes, across pages.</summary>
    private sealed class Layout(PdfDocument pdf, Fonts fonts)
    {
        private PdfPage? _page;
        private XGraphics? _graphics;
        private double _y;
        private int _pages;

        public double Width => (_page?.Width.Point ?? XUnit.FromMillimeter(210).Point) - 2 * Margin;

        private XGraphics Graphics => _graphics ?? NewPage();

        private double Bottom => _page!.Height.Point - Margin - 12;

        public void WriteLine(DocumentLine line)
        {
            if (line.Label is null)
            {
                Write(line.Text, fonts.Text, Ink, Margin, Width, after: 4);
                return;
            }

            var valueX = Margin + LabelWidth + Gap;
            var valueWidth = Width - LabelWidth - Gap;
            var font = line.Verbatim ? fonts.Code : fonts.Text;
            var labelFont = fonts.Label;
            var labels = Wrap(line.Label, labelFont, LabelWidth, anywhere: false);
            var values = Wrap(line.Text.Length == 0 ? " " : line.Text, font, valueWidth, anywhere: line.Verbatim);
            var rows = Math.Max(labels.Count, values.Count);
            for (var row = 0; row < rows; row++)
            {
                var height = Math.Max(row < labels.Count ? labelFont.Height : 0, row < values.Count ? font.Height : 0);
                EnsureRoom(height);
                if (row < labels.Count)
                {
                    Graphics.DrawString(labels[row], labelFont, Muted, new XRect(Margin, _y, LabelWidth, height), XStringFormats.TopLeft);
                }

                if (row < values.Count)
                {
                    Graphics.DrawString(values[row], font, Ink, new XRect(valueX, _y, valueWidth, height), XStringFormats.TopLeft);
                }

                _y += height + 1;
            }

            _y += 3;
        }

        public void Write(string text, XFont font, XBrush brush, double x, double width, double after)
        {
            foreach (var row in Wrap(text, font, width, anywhere: false))
            {
                EnsureRoom(font.Height);
                Graphics.DrawString(row, font, brush, new XRect(x, _y, width, font.Height), XStringFormats.TopLeft);
                _y += font.Height + 1;
            }

            _y += after;
        }

        public void Space(double points) => _y += points;

        /// <summary>Starts a new page when less than <paramref name="height"/> is left (a heading is not left alone at a page's foot).</summary>
        public void KeepTogether(double height)
        {
            if (_graphics is not null && _y + height > Bottom)
            {
                NewPage();
            }
        }

        public void Finish()
        {
            if (_graphics is null)
            {
                NewPage();
            }

            _graphics!.Dispose();
            _graphics = null;
        }

        private void EnsureRoom(double height)
        {
            if (_graphics is null || _y + height > Bottom)
            {
                NewPage();
            }
        }

        private XGraphics NewPage()
        {
            _graphics?.Dispose();
            _page = pdf.AddPage();
            _page.Size = PdfSharp.PageSize.A4;
            _graphics = XGraphics.FromPdfPage(_page);
            _pages++;
            _graphics.DrawString($"Page {_pages}", fonts.Label, Muted,
                new XRect(Margin, _page.Height.Point - Margin, _page.Width.Point - 2 * Margin, fonts.Label.Height), XStringFormats.TopRight);
            _y = Margin;
            return _graphics;
        }

        /// <summary>
        /// The text as rows that fit <paramref name="width"/>: paragraphs kept, words wrapped (a word longer than a row is cut), or
        /// any character when <paramref name="anywhere"/> (machine text); tabs become spaces and other control characters go.
        /// </summary>
        private List<string> Wrap(string text, XFont font, double width, bool anywhere)
        {
            var rows = new List<string>();
            var graphics = Graphics;
            foreach (var paragraph in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
            {
                var clean = new string(paragraph.Select(c => c == '\t' ? ' ' : c).Where(c => !char.IsControl(c)).ToArray());
                var row = string.Empty;
                foreach (var token in anywhere ? clean.Select(c => c.ToString()) : SplitKeepingSpaces(clean))
                {
                    var candidate = row + token;
                    if (row.Length == 0 || graphics.MeasureString(candidate, font).Width <= width)
                    {
                        row = candidate;
                        continue;
                    }

                    rows.AddRange(CutToWidth(row.TrimEnd(), font, width, graphics));
                    row = anywhere ? token : token.TrimStart();
                }

                rows.AddRange(CutToWidth(row, font, width, graphics));
            }

            return rows;
        }

        private static IEnumerable<string> SplitKeepingSpaces(string text)
        {
            var start = 0;
            for (var i = 1; i <= text.Length; i++)
            {
                if (i == text.Length || (text[i] == ' ' && text[i - 1] != ' '))
                {
                    yield return text[start..i];
                    start = i;
                }
            }
        }

        /// <summary>A row still wider than the column (a long word): cut at characters, each cut found by halving.</summary>
        private static IEnumerable<string> CutToWidth(string row, XFont font, double width, XGraphics graphics)
        {
            while (row.Length > 1 && graphics.MeasureString(row, font).Width > width)
            {
                int fits = 1, tooLong = row.Length;
                while (tooLong - fits > 1)
                {
                    var middle = (fits + tooLong) / 2;
                    (graphics.MeasureString(row[..middle], font).Width <= width ? ref fits : ref tooLong) = middle;
                }

                yield return row[..fits];
                row = row[fits..];
            }

            yield return row;
        }
    }

    /// <summary>The two embedded faces, whatever family or style PDFsharp asks for (sans for everything but the mono family).</summary>
    private sealed class EmbeddedFonts : IFontResolver
    {
        private static readonly Lazy<byte[]> SansBytes = new(() => Load("DejaVuSans.ttf"));
        private static readonly Lazy<byte[]> MonoBytes = new(() => Load("DejaVuSansMono.ttf"));

        public FontResolverInfo? ResolveTypeface(string familyName, bool isBold, bool isItalic) =>
            new(string.Equals(familyName, Mono, StringComparison.OrdinalIgnoreCase) ? Mono : Sans);

        public byte[]? GetFont(string faceName) => faceName == Mono ? MonoBytes.Value : SansBytes.Value;

        private static byte[] Load(string file)
        {
            using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Lethe.Aws.Documents.Fonts.{file}")
                ?? throw new InvalidOperationException($"The embedded font {file} is missing from Lethe.Aws.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }
}
