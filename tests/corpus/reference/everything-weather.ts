const cities = ["New York", "Chicago", "Los Angeles"] as const;
const all = await Promise.all(cities.map(async (city) => ({ city, temperature: (await everything.get_structured_content({ location: city })).temperature })));
return all.reduce((a, b) => (b.temperature > a.temperature ? b : a));
