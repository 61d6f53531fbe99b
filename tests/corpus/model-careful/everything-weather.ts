const cities = ["New York", "Chicago", "Los Angeles"] as const;
const results = await Promise.all(cities.map(async (c) => {
  const r: any = await everything.get_structured_content({ location: c });
  const data = r?.structuredContent ?? r;
  return { city: c as string, temperature: Number(data.temperature) };
}));
console.log(JSON.stringify(results));
return results.reduce((best, r) => (r.temperature > best.temperature ? r : best));
