using System.Text;
using Lethe.Domain.Documents;

namespace Lethe.Domain.Tests.Exports;

/// <summary>Lays a document out as plain UTF-8 lines (title, subtitle, "# heading", "label: text"), so Domain tests can read what it says.</summary>
public sealed class TextDocumentRenderer : IDocumentRenderer
{
    public string ContentType => "text/plain";

    public void Render(ReadableDocument document, Stream sink)
    {
        var text = new StringBuilder().AppendLine(document.Title).AppendLine(document.Subtitle);
        foreach (var section in document.Sections)
        {
            text.AppendLine($"# {section.Heading}");
            foreach (var line in section.Lines)
            {
                text.AppendLine(line.Label is null ? line.Text : $"{line.Label}: {line.Text}");
            }
        }

        sink.Write(Encoding.UTF8.GetBytes(text.ToString()));
    }
}
