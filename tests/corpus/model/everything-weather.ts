const cities = ["New York", "Chicago", "Los Angeles"] as const;
const results = await Promise.all(cities.map(location => everything.get_structured_content({ location })));
const best = results.reduce((bi, r, i) => (r.temperature > results[bi].temperature ? i : bi), 0);
return { city: cities[best], temperature: results[best].temperature };
