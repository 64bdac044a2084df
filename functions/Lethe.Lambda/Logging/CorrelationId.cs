using System.Text.Json;

namespace Lethe.Lambda.Logging;

/// <summary>
/// Finds the correlation id an event carries, so one request can be followed through API, workflow and handlers.
/// Workflow inputs carry <c>correlationId</c> at the top level; EventBridge events carry it in <c>detail</c>.
/// </summary>
public static class CorrelationId
{
    public const string PropertyName = "correlationId";

    public static string? Find(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            return FindInObject(ref reader, allowDetail: true);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? FindInObject(ref Utf8JsonReader reader, bool allowDetail)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isCorrelation = reader.ValueTextEquals(PropertyName);
            var isDetail = allowDetail && reader.ValueTextEquals("detail");
            reader.Read();
            if (isCorrelation && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }

            if (isDetail && reader.TokenType == JsonTokenType.StartObject)
            {
                if (FindInObject(ref reader, allowDetail: false) is { } found)
                {
                    return found;
                }

                continue;
            }

            reader.Skip();
        }

        return null;
    }
}
