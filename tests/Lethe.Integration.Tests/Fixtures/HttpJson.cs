using System.Text.Json;

namespace Lethe.Tests.Integration.Fixtures;

public static class HttpJson
{
    /// <summary>The response body as a detached JSON element.</summary>
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return document.RootElement.Clone();
    }
}
